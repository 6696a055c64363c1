import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LimiterStore, MemoryStore, type ResolveKey, type TwoFaEvent } from '@twofa-kit/core';
import { applyCredits, configFromEnv, type EnvConfig, listenUrl, startupMessage } from './env.js';
import { METRICS_PATH, type Metrics, metricsAddressFromEnv, metricsFromEnv, metricsServer } from './metrics.js';
import { limiterStore } from './store.js';

/** What an example server builds its app from: the environment, read once. */
export interface ExampleSetup {
  readonly config: EnvConfig;
  /** With `TWOFA_METRICS=1`: the metrics (served by `runExample` on `TWOFA_METRICS_ADDR`). */
  readonly metrics: Metrics | undefined;
  /** The kit's options from the environment (keys, plans, the limiter, the metrics' listener). */
  readonly options: {
    readonly resolveKey: ResolveKey;
    readonly plans: EnvConfig['plans'];
    readonly store: LimiterStore | undefined;
    readonly onEvent: ((event: TwoFaEvent) => void) | undefined;
    /** The API reference page at `{prefix}/docs`: on in every example server. */
    readonly docs: boolean;
  };
}

/** A listening server: its port, and how to stop it. */
export interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The life of an example server, the same for every framework: read the environment, build the
 * limiter, let `start` build and listen, stop cleanly on SIGINT/SIGTERM, print the start-up
 * message. A bad environment or a failed listen prints the reason and exits 1.
 */
export async function runExample(framework: string, start: (setup: ExampleSetup) => Promise<Listening>): Promise<void> {
  try {
    const config = configFromEnv();
    const metrics = metricsFromEnv();
    const metricsAddress = metrics === undefined ? undefined : metricsAddressFromEnv();
    const { options, close } = await exampleOptions(config, metrics);
    const server = await start({ config, metrics, options });
    // The metrics on their own address (loopback by default), never on the API's port.
    let scrape: Listening | undefined;
    if (metrics !== undefined && metricsAddress !== undefined) {
      const http = metricsServer(metrics);
      http.listen(metricsAddress.port, metricsAddress.host);
      scrape = await listening(http);
    }
    const shutdown = async () => {
      await server.close();
      await scrape?.close();
      await close();
      process.exit(0);
    };
    process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
    const metricsUrl =
      scrape === undefined ? undefined : `${listenUrl(metricsAddress?.host ?? '', scrape.port)}${METRICS_PATH}`;
    console.log(startupMessage(framework, config.host, server.port, config.demoKeys, metricsUrl));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

/**
 * Time limits of every example server (ms): the request head must arrive within
 * `headersTimeout`, the whole request within `requestTimeout` (else 408 and the connection is
 * closed), a connection with no traffic is closed after `idleTimeout`, and an idle keep-alive
 * connection after `keepAliveTimeout`. Fastify's own defaults leave a request unbounded.
 */
export interface ServerTimeouts {
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly idleTimeout: number;
  readonly keepAliveTimeout: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = Object.freeze({
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  idleTimeout: 30_000,
  keepAliveTimeout: 5_000,
});

/** Sets `limits` (default `SERVER_TIMEOUTS`) on a `node:http` server, before or after it listens. */
export function limitServerTimes<S extends Server>(server: S, limits: ServerTimeouts = SERVER_TIMEOUTS): S {
  server.headersTimeout = limits.headersTimeout;
  server.requestTimeout = limits.requestTimeout;
  server.keepAliveTimeout = limits.keepAliveTimeout;
  server.setTimeout(limits.idleTimeout);
  return server;
}

/**
 * The kit's options an example server runs with, from the environment read once: the limiter
 * (Redis or memory, with the starting credits), the metrics' listener, the API reference page.
 * `runExample` uses it; a server it does not start (the Next.js example) calls it itself.
 */
export async function exampleOptions(
  config: EnvConfig,
  metrics: Metrics | undefined,
): Promise<{ options: ExampleSetup['options']; close: () => Promise<void> }> {
  const limiter = await limiterStore(config.redis, metrics);
  // Starting credits need the store in hand: the in-memory one is made here instead of by the kit.
  const store = limiter.store ?? (config.credits === undefined ? undefined : new MemoryStore());
  if (store !== undefined) await applyCredits(store, config.credits);
  const options = {
    resolveKey: config.resolveKey,
    plans: config.plans,
    store,
    onEvent: metrics?.onEvent,
    docs: true,
  };
  return { options, close: limiter.close };
}

/** A `node:http` server once it listens (rejects on 'error', e.g. EADDRINUSE), with `SERVER_TIMEOUTS`. */
export async function listening(server: Server): Promise<Listening> {
  limitServerTimes(server);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      server.close();
      await once(server, 'close');
    },
  };
}

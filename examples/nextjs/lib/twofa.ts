import {
  configFromEnv,
  exampleOptions,
  listening,
  listenUrl,
  metricsAddressFromEnv,
  metricsFromEnv,
  metricsServer,
} from '@twofa-kit/example-support';
import { forwardedAddress, type TwoFaFetchHandler, twoFaFetch } from '@twofa-kit/fetch';

/** The kit this server runs: one handler (and one limiter) for every request, kept on `globalThis`. */
interface Kit {
  readonly handler: TwoFaFetchHandler;
  /** Reverse proxies in front (`TRUST_PROXY`). */
  readonly trustProxy: number;
}

const state = globalThis as { twoFaKit?: Promise<Kit> };

async function build(): Promise<Kit> {
  const config = configFromEnv();
  const metrics = metricsFromEnv();
  const { options } = await exampleOptions(config, metrics);
  if (metrics !== undefined) {
    // TWOFA_METRICS=1: the metrics on their own address (TWOFA_METRICS_ADDR, loopback by default),
    // never on the API's port; `start.mjs` passes the line below on in its start-up message.
    const address = metricsAddressFromEnv();
    const server = metricsServer(metrics);
    server.listen(address.port, address.host);
    const { port } = await listening(server);
    console.log(`Prometheus metrics on ${listenUrl(address.host, port)}/metrics`);
  }
  const handler = twoFaFetch(options);
  return { handler, trustProxy: config.trustProxy };
}

/** The kit, built once per server process (route modules may be loaded more than once). */
export function kit(): Promise<Kit> {
  state.twoFaKit ??= build();
  return state.twoFaKit;
}

/**
 * The client address: a route handler has no socket, so it is read from `X-Forwarded-For`, the
 * entry the nearest trusted proxy appended. Without a proxy in front, `next start` itself writes the
 * peer there, but only when the client sent no such header.
 */
export function clientAddress(request: Request, trustProxy: number): string | undefined {
  return forwardedAddress(request.headers.get('x-forwarded-for'), undefined, Math.max(1, trustProxy));
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTwoFa, type TwoFa } from '@twofa-kit/core';
import type { TwoFaSource } from '@twofa-kit/core/adapter';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  contractOptions,
  expectEnvelope,
  GENERATE,
  KEYS,
  MESSAGES,
  recordingTwoFa,
  SEED_SECRET,
  TestClock,
} from './helpers.js';

/** A POST generate with a form body and `?x=1`, as each adapter's own tests send it. */
export const generateForm = (url: string, path = GENERATE, key: string = KEYS.big) =>
  request(url).post(`${path}?x=1`).set('X-API-Key', key).type('form').send(`secret=${SEED_SECRET}`);

/** An app with the kit mounted, listening: its URL, and how to close the app (not the core it was given). */
export interface MountedApp {
  url: string;
  close(): Promise<void>;
}

/**
 * The servers a test file starts on free ports: `start(listener)` → the running app, `listen(listener)`
 * → just its URL; `closeAll()` (in `afterEach`) closes every one still open.
 */
export function serverPool(): {
  start(listener: http.RequestListener): Promise<MountedApp>;
  listen(listener: http.RequestListener): Promise<string>;
  closeAll(): Promise<void>;
} {
  const servers = new Set<http.Server>();
  const stop = (server: http.Server) => {
    servers.delete(server);
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const start = async (listener: http.RequestListener): Promise<MountedApp> => {
    const server = http.createServer(listener);
    servers.add(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => stop(server) };
  };
  return {
    start,
    listen: async (listener) => (await start(listener)).url,
    async closeAll() {
      for (const server of [...servers]) await stop(server);
    },
  };
}

/** How one adapter mounts the kit in a host app, for `mountingSuite`. */
export interface AdapterMounts {
  /** The package name, `@twofa-kit/express`. */
  name: string;
  /** An app with only the kit, mounted the plain way, from options or a core built elsewhere. */
  serve(source: TwoFaSource): Promise<MountedApp>;
  /** An app with the kit nested under the host path `/v1` (a mount path, a prefixed router or plugin). */
  serveUnderV1(twoFa: TwoFa): Promise<MountedApp>;
  /** What the core is told about the body of a GET: Express and Koa hand over the stream, Fastify none. */
  getBody: 'stream' | 'none';
  /** How the adapter hands over a form body no host parser read: the stream, or the bytes it read itself. */
  postBody: 'stream' | 'parsed';
  /** Checks the framework's own 404 for a path the kit does not serve (never the kit's envelope). */
  expectHostNotFound(res: request.Response): void;
}

/**
 * What every adapter does alike when mounted: the prefix option, nesting under a host path, and
 * several apps sharing one core. Each adapter's own test file calls it with how it mounts.
 */
export function mountingSuite(mounts: AdapterMounts): void {
  describe(`${mounts.name}: mounting`, () => {
    const apps: MountedApp[] = [];
    const serve = async (source: TwoFaSource) => apps[apps.push(await mounts.serve(source)) - 1] as MountedApp;
    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close();
    });

    it('serves under the prefix option (with or without a trailing slash), and leaves the default prefix to the host', async () => {
      for (const prefix of ['/v2/otp', '/v2/otp/']) {
        const { url } = await serve(contractOptions(new TestClock(), { prefix }));
        expectEnvelope(await generateForm(url, '/v2/otp/generate'), 200, MESSAGES.generated);
        expectEnvelope(await request(url).get('/v2/otp/nope'), 404);
        const host = await generateForm(url);
        expect(host.status).toBe(404);
        mounts.expectHostNotFound(host);
      }
    });

    it('nests under a host path, passing the path below the prefix and the full basePath', async () => {
      const { twoFa, seen } = recordingTwoFa(contractOptions(new TestClock()));
      const app = await mounts.serveUnderV1(twoFa);
      apps.push(app);
      const { url } = app;
      expectEnvelope(await generateForm(url, `/v1${GENERATE}`), 200, MESSAGES.generated);
      expectEnvelope(await request(url).get('/v1/api/2fa/a/b?q=2'), 404);
      const below = { basePath: '/v1/api/2fa', ip: '127.0.0.1' };
      expect(seen).toEqual([
        { method: 'POST', path: '/generate', rawQuery: 'x=1', ...below, body: mounts.postBody, apiKeyHeader: true },
        { method: 'GET', path: '/a/b', rawQuery: 'q=2', ...below, body: mounts.getBody, apiKeyHeader: false },
      ]);
      expect((await request(url).get(GENERATE)).status).toBe(404); // not mounted at the root
    });

    it('lets several apps share one core (and one set of limits), closing an app leaves the core open', async () => {
      const twoFa = createTwoFa(contractOptions(new TestClock()));
      const a = await serve({ twoFa });
      const b = await serve({ twoFa });
      for (let i = 0; i < 3; i++) expectEnvelope(await generateForm(a.url, GENERATE, KEYS.free), 200);
      for (let i = 0; i < 2; i++) expectEnvelope(await generateForm(b.url, GENERATE, KEYS.free), 200);
      expectEnvelope(await generateForm(a.url, GENERATE, KEYS.free), 429, MESSAGES.rateLimited);
      await a.close();
      apps.splice(apps.indexOf(a), 1);
      expectEnvelope(await generateForm(b.url, GENERATE, KEYS.free), 429, MESSAGES.rateLimited);
      expectEnvelope(await generateForm(b.url, GENERATE, KEYS.free2), 200);
    });
  });
}

/**
 * How an adapter's mounting function checks its options, for those that check them when called
 * (`twoFaRouter`): a misspelt option is a TwoFaConfigError naming it and the closest known one,
 * and next to a shared core every other option is unknown. `name` is the function's name.
 */
export function unknownOptionsSuite(name: string, mountKit: (options: never) => unknown): void {
  describe('unknown options', () => {
    it('a misspelt option is a TwoFaConfigError naming it and the closest known one', () => {
      const options = { ...contractOptions(new TestClock()), prefx: '/v2/otp' };
      expect(() => mountKit(options as never)).toThrow(
        expect.objectContaining({
          name: 'TwoFaConfigError',
          code: 'ERR_TWOFA_UNKNOWN_OPTION',
          message: `twofa-kit: unknown option "prefx" in ${name} (did you mean "prefix"?)`,
        }),
      );
    });

    it('with a shared core, every other option is unknown', () => {
      const twoFa = createTwoFa(contractOptions(new TestClock()));
      expect(() => mountKit({ twoFa, bodylimit: 10 } as never)).toThrow(
        new RegExp(`unknown option "bodylimit" in ${name}`),
      );
      void twoFa.close();
    });
  });
}

import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type DynamicModule,
  type ExceptionFilter,
  Get,
  HttpException,
  type INestApplication,
  Inject,
  Injectable,
  Module,
} from '@nestjs/common';
import { type AbstractHttpAdapter, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { contractOptions, expectEnvelope, GENERATE, KEYS, MESSAGES, SEED_SECRET, TestClock } from '@twofa-kit/contract';
import { createTwoFa, type Identity, type TwoFa } from '@twofa-kit/core';
import { TWOFA, TwoFaModule } from '@twofa-kit/nestjs';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';

// Nest's decorators applied as plain functions (no decorator compiler settings needed here).

/** A key store of the host's own, as a Nest provider. */
class KeyService {
  readonly keys = new Map<string, Identity>([['service-key', { id: 'svc-1', plan: 'pro' }]]);
  lookups = 0;
  resolve = async (key: string): Promise<Identity | null> => {
    this.lookups++;
    return this.keys.get(key) ?? null;
  };
}
Injectable()(KeyService);
class KeysModule {}
Module({ providers: [KeyService], exports: [KeyService] })(KeysModule);

/** A host controller that reads the kit's core through the TWOFA token. */
class HostController {
  constructor(readonly twoFa: TwoFa) {}
  ping() {
    return { prefix: this.twoFa.config.prefix };
  }
  teapot(): never {
    throw new HttpException('short and stout', 418);
  }
}
Controller('host')(HostController);
Inject(TWOFA)(HostController, undefined, 0);
const method = (name: keyof HostController) =>
  Object.getOwnPropertyDescriptor(HostController.prototype, name) as PropertyDescriptor;
Get('ping')(HostController.prototype, 'ping', method('ping'));
Get('teapot')(HostController.prototype, 'teapot', method('teapot'));

/** The host's own exception filter. */
class HostFilter implements ExceptionFilter {
  constructor(private readonly adapter: AbstractHttpAdapter) {}
  catch(exception: unknown, host: ArgumentsHost) {
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    this.adapter.reply(host.switchToHttp().getResponse(), { filtered: status }, status);
  }
}
Catch()(HostFilter);

const PLATFORMS = ['express', 'fastify'] as const;
const apps: INestApplication[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) {
    app.getHttpServer().closeAllConnections();
    await app.close();
  }
});

async function start(
  platform: (typeof PLATFORMS)[number],
  kit: DynamicModule,
  setUp: (app: INestApplication) => void = () => {},
): Promise<{ app: INestApplication; url: string }> {
  class AppModule {}
  Module({ imports: [kit], controllers: [HostController] })(AppModule);
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false, abortOnError: false })
      : await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  apps.push(app);
  setUp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

const generate = (url: string, key: string) =>
  request(url).post(GENERATE).set('X-API-Key', key).type('form').send(`secret=${SEED_SECRET}`);

describe.each(PLATFORMS)('@twofa-kit/nestjs on @nestjs/platform-%s', (platform) => {
  it('forRootAsync builds the key store from the app’s own injected provider', async () => {
    const { app, url } = await start(
      platform,
      TwoFaModule.forRootAsync({
        imports: [KeysModule],
        inject: [KeyService],
        useFactory: (keys: KeyService) => ({ resolveKey: keys.resolve }),
      }),
    );
    expectEnvelope(await generate(url, 'service-key'), 200, MESSAGES.generated);
    expectEnvelope(await generate(url, 'not-a-key'), 401, MESSAGES.unauthorized);
    expect(app.get(KeyService).lookups).toBe(2);
  });

  it('forRootAsync takes an async factory', async () => {
    const { url } = await start(
      platform,
      TwoFaModule.forRootAsync({ useFactory: async () => contractOptions(new TestClock()) }),
    );
    expectEnvelope(await generate(url, KEYS.pro), 200, MESSAGES.generated);
  });

  it('serves at its own prefix beside a global prefix, the host’s filters and controllers', async () => {
    const { url } = await start(platform, TwoFaModule.forRoot(contractOptions(new TestClock())), (app) => {
      app.setGlobalPrefix('v1');
      app.useGlobalFilters(new HostFilter(app.getHttpAdapter() as AbstractHttpAdapter));
    });
    expectEnvelope(await generate(url, KEYS.pro), 200, MESSAGES.generated);
    expectEnvelope(await request(url).get('/api/2fa/nope'), 404);
    const ping = await request(url).get('/v1/host/ping');
    expect(ping.status).toBe(200);
    expect(JSON.parse(ping.text)).toEqual({ prefix: '/api/2fa' }); // the core, injected by TWOFA
    const teapot = await request(url).get('/v1/host/teapot');
    expect([teapot.status, JSON.parse(teapot.text)]).toEqual([418, { filtered: 418 }]);
    const unknown = await request(url).get('/v1/nope');
    expect([unknown.status, JSON.parse(unknown.text)]).toEqual([404, { filtered: 404 }]);
    // Under the prefix, the key is checked before Nest's parser would see the malformed body.
    expectEnvelope(await request(url).post(GENERATE).type('json').send('{"secret":'), 401);
  });

  it('runs after the host’s own app.use() middleware: its headers reach the kit’s answers', async () => {
    const { url } = await start(platform, TwoFaModule.forRoot(contractOptions(new TestClock())), (app) => {
      app.use((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
        res.setHeader('x-host-middleware', 'yes');
        next();
      });
    });
    const res = await generate(url, KEYS.pro);
    expectEnvelope(res, 200, MESSAGES.generated);
    expect(res.headers['x-host-middleware']).toBe('yes');
    expect((await request(url).get('/host/ping')).headers['x-host-middleware']).toBe('yes');
  });

  it('closes the core it built when the app closes, and leaves a core given to it open', async () => {
    const shared = createTwoFa(contractOptions(new TestClock()));
    const { app, url } = await start(platform, TwoFaModule.forRoot({ twoFa: shared }));
    expectEnvelope(await generate(url, KEYS.free), 200);
    expect(app.get(TWOFA)).toBe(shared);
    const own = await start(platform, TwoFaModule.forRoot(contractOptions(new TestClock())));
    const ownCore = own.app.get<TwoFa>(TWOFA);
    let closed = 0;
    const close = ownCore.close.bind(ownCore);
    ownCore.close = () => {
      closed++;
      return close();
    };
    for (const running of apps.splice(0)) {
      running.getHttpServer().closeAllConnections();
      await running.close();
    }
    expect(closed).toBe(1);
    const after = await shared.handle({
      method: 'GET',
      path: '/usage',
      rawQuery: '',
      headers: { 'x-api-key': KEYS.free },
      body: { kind: 'none' },
      ip: '127.0.0.1',
      basePath: '/api/2fa',
    });
    expect(after.status).toBe(200);
    await shared.close();
  });
});

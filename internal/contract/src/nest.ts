import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  type ArgumentsHost,
  Body,
  Catch,
  Controller,
  type DynamicModule,
  type ExceptionFilter,
  Get,
  HttpCode,
  type HttpServer,
  type INestApplication,
  NotFoundException,
  Post,
} from '@nestjs/common';
import { BaseExceptionFilter, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTwoFa } from '@twofa-kit/core';
import { twoFaFrameworkErrors } from '@twofa-kit/fastify';
import { TwoFaModule } from '@twofa-kit/nestjs';
import { type AdapterHarness, HOST_ROUTES, type HostSetup, type RunningServer, trustHops } from './harness.js';

// Nest's decorators applied as the functions they are, so this file needs no decorator compiler
// settings; a Nest app written with `@Controller()` syntax gets the same metadata.

/** The host's own controller (see HOST_ROUTES). */
class HostController {
  ping() {
    return { pong: true };
  }
  echo(body: unknown) {
    return { body: body ?? null };
  }
  boom(): never {
    throw new Error('boom');
  }
}
Controller()(HostController);
const method = (name: keyof HostController) =>
  Object.getOwnPropertyDescriptor(HostController.prototype, name) as PropertyDescriptor;
Get(HOST_ROUTES.ping)(HostController.prototype, 'ping', method('ping'));
Post(HOST_ROUTES.echo)(HostController.prototype, 'echo', method('echo'));
Body()(HostController.prototype, 'echo', 0);
HttpCode(200)(HostController.prototype, 'echo', method('echo'));
Get(HOST_ROUTES.boom)(HostController.prototype, 'boom', method('boom'));

/** The host's error handler: its own 500 for every error, Nest's own 404 for an unknown route. */
class HostErrors implements ExceptionFilter {
  readonly #fallback: BaseExceptionFilter;
  constructor(private readonly adapter: HttpServer) {
    this.#fallback = new BaseExceptionFilter(adapter);
  }
  catch(exception: unknown, host: ArgumentsHost) {
    if (exception instanceof NotFoundException) return this.#fallback.catch(exception, host);
    this.adapter.reply(host.switchToHttp().getResponse(), HOST_ROUTES.hostErrorBody, 500);
  }
}
Catch()(HostErrors);

function appModule(kit: DynamicModule, host: HostSetup): DynamicModule {
  class AppModule {}
  return { module: AppModule, imports: [kit], controllers: host.hostRoutes ? [HostController] : [] };
}

/**
 * Nest's own body parsers (JSON and forms) always run before every route, as in a default Nest
 * app, so `withHostParsers` changes nothing here: the kit is tested behind them in every case.
 */
async function listen(app: INestApplication, close: () => Promise<void>, host: HostSetup): Promise<RunningServer> {
  if (host.hostRoutes) app.useGlobalFilters(new HostErrors(app.getHttpAdapter()));
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await app.close();
      await close();
    },
  };
}

/** NestJS on `@nestjs/platform-express`, the kit from `TwoFaModule.forRoot(options)`. */
export const NEST_EXPRESS: AdapterHarness = {
  name: 'nest-express',
  async start(options, host = {}) {
    const app = await NestFactory.create<NestExpressApplication>(appModule(TwoFaModule.forRoot(options), host), {
      logger: false,
      abortOnError: false,
    });
    if (host.trustProxyHops) app.set('trust proxy', host.trustProxyHops);
    return listen(app, async () => {}, host);
  },
};

/**
 * NestJS on `@nestjs/platform-fastify`, the documented setup: a core built first, so Fastify's
 * `frameworkErrors` (URLs it cannot decode, answered before any route) answers under the prefix
 * too, and handed to `TwoFaModule.forRoot({ twoFa })`.
 */
export const NEST_FASTIFY: AdapterHarness = {
  name: 'nest-fastify',
  caseSensitivePaths: true,
  async start(options, host = {}) {
    const twoFa = createTwoFa(options);
    const adapter = new FastifyAdapter({
      frameworkErrors: twoFaFrameworkErrors(twoFa),
      ...(host.trustProxyHops ? { trustProxy: trustHops(host.trustProxyHops) } : {}),
    });
    const app = await NestFactory.create<NestFastifyApplication>(
      appModule(TwoFaModule.forRoot({ twoFa }), host),
      adapter,
      { logger: false, abortOnError: false },
    );
    return listen(app, () => twoFa.close(), host);
  },
};

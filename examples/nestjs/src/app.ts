import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { TwoFaModule, type TwoFaOptions } from '@twofa-kit/nestjs';

@Controller()
class HealthController {
  @Get('health')
  health() {
    return { status: 'ok' };
  }
}

/**
 * A Nest app (on @nestjs/platform-express) with a controller of its own, serving the 2FA API under
 * /api/2fa. `trustProxy`: the number of reverse proxies in front; the client address is the one
 * the nearest of them appended.
 */
export async function buildApp(options: TwoFaOptions, { trustProxy = 0 }: { trustProxy?: number } = {}) {
  @Module({ imports: [TwoFaModule.forRoot(options)], controllers: [HealthController] })
  class AppModule {}

  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: ['error', 'warn'] });
  if (trustProxy > 0) app.set('trust proxy', trustProxy); // a hop count; `true` would trust what the client wrote
  return app;
}

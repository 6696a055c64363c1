// TypeScript, ES module: a NestJS app on @nestjs/platform-express (Nest's default).
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { staticKeys, TwoFaModule } from '@twofa-kit/nestjs';

@Controller()
class HealthController {
  @Get('health')
  health() {
    return { status: 'ok' };
  }
}

@Module({
  imports: [TwoFaModule.forRoot({ resolveKey: staticKeys({ [process.env.API_KEY ?? '']: 'free' }) })],
  controllers: [HealthController],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1'); // POST /api/2fa/generate, ...
console.log(`listening on ${(app.getHttpServer().address() as AddressInfo).port}`);

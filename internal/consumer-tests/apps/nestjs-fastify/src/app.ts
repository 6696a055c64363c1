// TypeScript, ES module: a NestJS app on @nestjs/platform-fastify, its API keys in a service of its own.
import type { AddressInfo } from 'node:net';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Identity, TwoFaModule } from '@twofa-kit/nestjs';

@Injectable()
class ApiKeys {
  private readonly keys = new Map<string, Identity>([[process.env.API_KEY ?? '', { id: 'customer-1', plan: 'free' }]]);
  async find(key: string): Promise<Identity | null> {
    return this.keys.get(key) ?? null; // a database lookup in a real app
  }
}

@Module({ providers: [ApiKeys], exports: [ApiKeys] })
class ApiKeysModule {}

@Module({
  imports: [
    TwoFaModule.forRootAsync({
      imports: [ApiKeysModule],
      inject: [ApiKeys],
      useFactory: (keys: ApiKeys) => ({ resolveKey: (key: string) => keys.find(key) }),
    }),
  ],
})
class AppModule {}

const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
  logger: ['error', 'warn'],
});
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1'); // POST /api/2fa/generate, ...
console.log(`listening on ${(app.getHttpServer().address() as AddressInfo).port}`);

import type { DynamicModule, FactoryProvider, ModuleMetadata } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { TwoFa } from '@twofa-kit/core';
import { type TwoFaSource, twoFaOf } from '@twofa-kit/core/adapter';
import { mount } from './mount.js';

/** The injection token of the kit's core (`TwoFa`), for a host's own providers. */
export const TWOFA = Symbol.for('@twofa-kit/nestjs:TwoFa');
/** The injection token of the options `forRoot`/`forRootAsync` were given. */
export const TWOFA_OPTIONS = Symbol.for('@twofa-kit/nestjs:options');
const TWOFA_MOUNT = Symbol.for('@twofa-kit/nestjs:mount');

/** `forRootAsync`: the kit's options made by a factory from the app's own providers. */
export interface TwoFaModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Makes the options (or `{ twoFa }`, a core built elsewhere) from the providers in `inject`. */
  useFactory: (...args: never[]) => TwoFaSource | Promise<TwoFaSource>;
  /** The providers handed to `useFactory`, in order. */
  inject?: FactoryProvider['inject'];
}

/** The core, mounted when Nest initialises the app and closed when it closes (unless built elsewhere). */
interface MountedTwoFa {
  readonly twoFa: TwoFa;
  onModuleInit(): Promise<void>;
  onApplicationShutdown(): Promise<void>;
}

const core: FactoryProvider<MountedTwoFa> = {
  provide: TWOFA_MOUNT,
  inject: [TWOFA_OPTIONS, HttpAdapterHost],
  useFactory: (source: TwoFaSource, host: HttpAdapterHost): MountedTwoFa => {
    const shared = 'twoFa' in source;
    const twoFa = twoFaOf(source);
    return {
      twoFa,
      // Nest calls it in `app.init()` (or `listen()`): after the body parsers, the middleware and
      // the host's controllers are registered, before Nest's own 404 and exception handlers.
      onModuleInit: () => mount(host, twoFa),
      onApplicationShutdown: async () => {
        if (!shared) await twoFa.close();
      },
    };
  },
};

const providers = [
  core,
  { provide: TWOFA, inject: [TWOFA_MOUNT], useFactory: (mounted: MountedTwoFa) => mounted.twoFa },
];

/**
 * Serves the /api/2fa surface from a NestJS app on `@nestjs/platform-express` (through
 * `@twofa-kit/express`) or `@nestjs/platform-fastify` (through `@twofa-kit/fastify`), whichever the
 * app runs on: `imports: [TwoFaModule.forRoot({ resolveKey })]`. The surface is at the kit's
 * `prefix` option (default `/api/2fa`), not under Nest's global prefix; the host's controllers,
 * body parsers, global prefix and exception filters are untouched.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic-module convention (`TwoFaModule.forRoot`) needs the class.
export class TwoFaModule {
  /** The kit with these options (or `{ twoFa }`, a core built elsewhere). */
  static forRoot(options: TwoFaSource): DynamicModule {
    return {
      module: TwoFaModule,
      providers: [{ provide: TWOFA_OPTIONS, useValue: options }, ...providers],
      exports: [TWOFA],
    };
  }

  /** The kit with options made from the app's own providers: `{ imports, useFactory, inject }`. */
  static forRootAsync(options: TwoFaModuleAsyncOptions): DynamicModule {
    return {
      module: TwoFaModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: TWOFA_OPTIONS,
          useFactory: options.useFactory as (...args: unknown[]) => TwoFaSource | Promise<TwoFaSource>,
          inject: options.inject ?? [],
        },
        ...providers,
      ],
      exports: [TWOFA],
    };
  }
}

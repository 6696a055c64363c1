/**
 * The frameworks, loaded from the contract package's dependencies (the root has none of its own),
 * for tests that build their own host app around the kit (loggers, middleware).
 */
import { createRequire } from 'node:module';
import type Express from '../../../packages/contract/node_modules/@types/express/index.js';
import type Koa from '../../../packages/contract/node_modules/@types/koa/index.js';
import type Fastify from '../../../packages/contract/node_modules/fastify/fastify.js';

const require = createRequire(new URL('../../../packages/contract/package.json', import.meta.url));

export const fastify = require('fastify') as typeof Fastify;
export const koa = require('koa') as typeof Koa;
export const express = require('express') as typeof Express;

import type * as IORedis from '../../../packages/contract/node_modules/ioredis/built/index.js';

export const ioredis = require('ioredis') as typeof IORedis;

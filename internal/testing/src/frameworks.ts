/**
 * The frameworks, for tests that build their own host app around the kit (loggers, middleware):
 * dependencies of this package, so a test at the repository's root imports them by name.
 */
export { default as express } from 'express';
export { default as fastify } from 'fastify';
export * as ioredis from 'ioredis';
export { default as koa } from 'koa';

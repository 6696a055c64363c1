export {};
export * from './redis-servers.js';

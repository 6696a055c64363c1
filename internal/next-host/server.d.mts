import type http from 'node:http';

/** This folder: the Next.js app (`app/`, `next.config.mjs`) and its build (`.next/`). */
export declare const APP_DIR: string;

/** `next build` of the app unless its build is newer than its sources; resolves to whether it built. */
export declare function buildNextApp(): Promise<boolean>;

/** One server in front of the app (see `serveNext`). */
export interface NextHostServer {
  server: http.Server;
  port: number;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the app (built first when stale, prepared once per process) on 127.0.0.1 and a free port,
 * its kit routes calling `handler`. The server appends the peer's address to `X-Forwarded-For`, as
 * the reverse proxy in front of a Next.js app does.
 */
export declare function serveNext(handler: (request: Request) => Response | Promise<Response>): Promise<NextHostServer>;

import http from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { limitServerTimes, SERVER_TIMEOUTS } from '@twofa-kit/example-support';
import { describe, expect, it } from 'vitest';

describe('limitServerTimes', () => {
  it('sets the example servers’ limits on a server built without them (as Fastify builds it)', () => {
    const server = http.createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 72_000 });
    limitServerTimes(server);
    expect(server.requestTimeout).toBe(SERVER_TIMEOUTS.requestTimeout);
    expect(server.headersTimeout).toBe(SERVER_TIMEOUTS.headersTimeout);
    expect(server.keepAliveTimeout).toBe(SERVER_TIMEOUTS.keepAliveTimeout);
    expect(server.timeout).toBe(SERVER_TIMEOUTS.idleTimeout);
    expect(SERVER_TIMEOUTS.requestTimeout).toBeGreaterThan(0);
  });

  it('a body that never ends is answered 408 and its connection closed once the request time is up', async () => {
    // A server that, like Fastify, reads the whole body before answering, and has no limit of its own.
    const server = http.createServer(
      { requestTimeout: 0, headersTimeout: 0, connectionsCheckingInterval: 50 },
      (req, res) => {
        req.resume().on('end', () => res.end('done'));
      },
    );
    limitServerTimes(server, { headersTimeout: 300, requestTimeout: 300, idleTimeout: 5_000, keepAliveTimeout: 100 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    try {
      const started = performance.now();
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
        });
        socket.on('close', () => resolve(text));
        socket.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc');
      });
      expect(answer.startsWith('HTTP/1.1 408')).toBe(true);
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      socket.destroy();
      server.close();
    }
  });
});

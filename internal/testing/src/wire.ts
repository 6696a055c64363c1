/**
 * Two HTTP clients for hostile traffic: `send` (node:http over a keep-alive agent: any method Node
 * knows, repeated headers, raw body bytes, chunked or sized) and `sendRaw` (a fresh TCP socket
 * and exact bytes, for what node:http refuses to send: NUL bytes, unknown methods, broken framing).
 */
import http from 'node:http';
import net from 'node:net';

export interface WireResponse {
  /** 0 when the connection closed without an answer. */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface WireRequest {
  method: string;
  /** Path and query, as sent (not re-encoded). */
  target: string;
  /** Header name → value; an array sends the header once per value. */
  headers: Record<string, string | string[]>;
  body?: Buffer | undefined;
  /** Send the body with Transfer-Encoding: chunked, in pieces of this many bytes. */
  chunked?: number | undefined;
}

/** Requests retried because a kept-alive socket the server had already closed was reused. */
export const stats = { staleSocketRetries: 0 };

/**
 * Sends one request. Like any HTTP client, it retries once on a fresh connection when a reused
 * keep-alive socket turns out closed (the server may close a connection after answering an
 * earlier request on it: Fastify's own 431 answer does so without `Connection: close`); the
 * retry's answer is the one judged. A second failure is reported.
 */
export async function send(agent: http.Agent, port: number, req: WireRequest): Promise<WireResponse> {
  try {
    return await sendOnce(agent, port, req);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
    if (e.reusedSocket !== true && e.code !== 'ECONNRESET' && e.code !== 'EPIPE') throw error;
    stats.staleSocketRetries++;
    return sendOnce(new http.Agent({ keepAlive: false }), port, req);
  }
}

/**
 * node:http's client can emit a late EPIPE on a socket it has already detached from the request
 * (the server answered and closed while the body was still being written): the request has its
 * answer or its error by then, so the socket's late error is ignored here, once per socket.
 */
const guarded = new WeakSet<net.Socket>();
function guardSocket(socket: net.Socket): void {
  if (guarded.has(socket)) return;
  guarded.add(socket);
  socket.on('error', () => {});
}

function sendOnce(agent: http.Agent, port: number, req: WireRequest): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    if (req.body !== undefined && req.chunked === undefined) headers['content-length'] = req.body.length;
    // node:http frames GET/DELETE/OPTIONS bodies as chunked only when told to explicitly.
    if (req.body !== undefined && req.chunked !== undefined) headers['transfer-encoding'] = 'chunked';
    const out = http.request({
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.target,
      headers,
      agent,
    });
    out.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    out.on('error', (error) => reject(Object.assign(error, { reusedSocket: out.reusedSocket })));
    out.on('socket', guardSocket);
    if (req.body !== undefined && req.chunked !== undefined) {
      for (let i = 0; i < req.body.length; i += req.chunked) out.write(req.body.subarray(i, i + req.chunked));
    }
    out.end(req.chunked === undefined ? req.body : undefined);
  });
}

/**
 * Writes `bytes` on a new connection, half-closes when `endAfterWrite`, and parses whatever comes
 * back before the server closes (or `idleMs` of silence): status 0 when nothing came.
 */
export function sendRaw(port: number, bytes: Buffer, endAfterWrite = false, idleMs = 2000): Promise<WireResponse> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(parseResponse(Buffer.concat(parts)));
    };
    socket.setTimeout(idleMs, finish);
    socket.on('data', (c: Buffer) => {
      parts.push(c);
      const parsed = parseResponse(Buffer.concat(parts));
      if (parsed.complete) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(bytes, () => {
      if (endAfterWrite) socket.end();
    });
  });
}

/** A minimal HTTP/1.1 response parser (Content-Length or read-to-close bodies). */
function parseResponse(buf: Buffer): WireResponse & { complete: boolean } {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), complete: false };
  const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(statusLine.split(' ')[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = buf.subarray(end + 4);
  const length = headers['content-length'];
  const complete = length !== undefined && body.length >= Number(length);
  return { status, headers, body: length === undefined ? body : body.subarray(0, Number(length)), complete };
}

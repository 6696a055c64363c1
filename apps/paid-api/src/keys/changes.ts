/**
 * Key and customer changes, announced with PostgreSQL's NOTIFY on the `twofa_keys` channel in the
 * transaction that makes them (delivered when it commits), and heard by every server instance
 * through one LISTEN connection, which then drops its cached keys.
 *
 * The bound on a revocation is therefore the key cache's TTL, and in practice the time a
 * notification takes to arrive. While the LISTEN connection is down (PostgreSQL restarting, the
 * network) the TTL alone holds; on every (re)connection the cache is cleared, since notifications
 * sent in between are lost. The embedded PostgreSQL does not pass notifications between clients:
 * there the TTL is the bound.
 */
import pg from 'pg';

export const CHANGES_CHANNEL = 'twofa_keys';

/** Announces a change to a customer or its keys (the payload is the customer id, never a key). */
export async function announce(client: Pick<pg.ClientBase, 'query'>, customerId: string): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, customerId]);
}

export interface ChangeListener {
  /** Resolves once the first LISTEN is in place (or failed; it then keeps retrying). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Listens on `twofa_keys` and calls `onChange` for each change and after each (re)connection.
 * Reconnects after `retryMs` when the connection is lost; never throws.
 */
export function listenForChanges(
  url: string,
  onChange: () => void,
  options: { retryMs?: number; onError?: (error: Error) => void } = {},
): ChangeListener {
  const retryMs = options.retryMs ?? 1000;
  let closed = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url });
    client = c;
    const lost = (error?: Error) => {
      if (client !== c) return;
      client = undefined;
      c.removeAllListeners();
      c.on('error', () => {});
      c.end().catch(() => {});
      if (error !== undefined) options.onError?.(error);
      if (!closed) timer = setTimeout(() => void connect(), retryMs);
    };
    c.on('error', lost);
    c.on('end', () => lost());
    c.on('notification', () => onChange());
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
      onChange(); // anything announced while we were not listening is unknown: start afresh
    } catch (error) {
      lost(error as Error);
    }
  };

  const ready = connect();
  return {
    ready,
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      const c = client;
      client = undefined;
      if (c !== undefined) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c.end().catch(() => {});
      }
    },
  };
}

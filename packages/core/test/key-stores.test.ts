import { createHmac } from 'node:crypto';
import {
  cachedKeys,
  createTwoFa,
  hashedKeys,
  hashKey,
  type Identity,
  RedisStore,
  staticKeys,
  TwoFaConfigError,
} from '@twofa-kit/core';
import { type ExtServer, get, postForm, serve } from '@twofa-kit/testing/http-host';
import { afterEach, describe, expect, it } from 'vitest';

const SECRET = 'JBSWY3DPEHPK3PXP';
const ALICE: Identity = { id: 'u-alice', plan: 'ultra', limits: { minute: null, hour: null } };

let srv: ExtServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

/** A gate the slow store waits on. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('cachedKeys', () => {
  it('100 concurrent requests for one uncached key call the host store exactly once', async () => {
    const g = gate();
    let hostCalls = 0;
    const cached = cachedKeys(async (key) => {
      hostCalls++;
      await g.opened;
      return key === 'k-alice' ? ALICE : null;
    });
    // Open the gate only once all 100 requests are waiting on the lookup.
    let arrived = 0;
    srv = await serve({
      resolveKey: (key) => {
        if (++arrived === 100) g.open();
        return cached(key);
      },
    });
    const url = srv.at('/generate');
    const answers = await Promise.all(Array.from({ length: 100 }, () => postForm(url, { secret: SECRET }, 'k-alice')));
    expect(arrived).toBe(100);
    expect(hostCalls).toBe(1);
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    // Later requests are served from the cache.
    expect((await postForm(url, { secret: SECRET }, 'k-alice')).status).toBe(200);
    expect(hostCalls).toBe(1);
  });

  it('remembers known keys for ttlMs and unknown keys for the shorter negativeTtlMs', async () => {
    const clock = { now: 1_000_000 };
    const calls: string[] = [];
    const cached = cachedKeys(
      (key) => {
        calls.push(key);
        return key === 'k-alice' ? ALICE : null;
      },
      { ttlMs: 60_000, negativeTtlMs: 5_000, clock: () => clock.now },
    );
    expect(await cached('k-alice')).toEqual(ALICE);
    expect(await cached('k-nobody')).toBeNull();
    expect(cached('k-alice')).toEqual(ALICE); // a hit answers synchronously
    expect(cached('k-nobody')).toBeNull();
    expect(calls).toEqual(['k-alice', 'k-nobody']);
    clock.now += 5_001;
    expect(await cached('k-nobody')).toBeNull(); // negative entry expired: asked again
    expect(cached('k-alice')).toEqual(ALICE);
    expect(calls).toEqual(['k-alice', 'k-nobody', 'k-nobody']);
    clock.now += 55_000;
    expect(await cached('k-alice')).toEqual(ALICE); // positive entry expired
    expect(calls).toEqual(['k-alice', 'k-nobody', 'k-nobody', 'k-alice']);
  });

  it('does not cache errors: the next request asks the store again (500, then 200 over HTTP)', async () => {
    let calls = 0;
    const cached = cachedKeys(async () => {
      calls++;
      if (calls === 1) throw new Error('database down');
      return ALICE;
    });
    srv = await serve({ resolveKey: cached });
    expect((await get(`${srv.at('/usage')}`, 'k-alice')).status).toBe(500);
    expect((await get(`${srv.at('/usage')}`, 'k-alice')).status).toBe(200);
    expect(calls).toBe(2);
    // A callback that throws synchronously is not cached either.
    let syncCalls = 0;
    const sync = cachedKeys(() => {
      syncCalls++;
      if (syncCalls === 1) throw new Error('boom');
      return ALICE;
    });
    await expect(Promise.resolve(sync('k'))).rejects.toThrow('boom');
    expect(await sync('k')).toEqual(ALICE);
  });

  it('bounds entries by max (LRU)', async () => {
    const cached = cachedKeys((key) => ({ id: `id-${hashKey(key).slice(0, 8)}`, plan: 'free' }), { max: 3 });
    for (const key of ['a1', 'a2', 'a3', 'a4']) await cached(key);
    expect(cached.size).toBe(3);
    cached.clear();
    expect(cached.size).toBe(0);
  });

  it('invalidate() forgets a key, even while its lookup is in flight', async () => {
    const answers: (Identity | null)[] = [ALICE, null, ALICE];
    let calls = 0;
    const g = gate();
    const cached = cachedKeys(async () => {
      const answer = answers[calls++] ?? null;
      if (calls === 2) await g.opened;
      return answer;
    });
    expect(await cached('k')).toEqual(ALICE);
    cached.invalidate('k'); // say the key was revoked, then restored
    const inFlight = cached('k'); // the store will answer null, slowly
    cached.invalidate('k'); // restored while that lookup runs
    g.open();
    expect(await inFlight).toBeNull(); // the in-flight caller gets its answer...
    expect(await cached('k')).toEqual(ALICE); // ...but it was not kept as a negative entry
    expect(calls).toBe(3);
  });

  it('drops a lookup in flight at inFlightTimeoutMs: a store that never answers holds nothing', async () => {
    let calls = 0;
    const cached = cachedKeys(
      () => {
        calls++;
        return new Promise<Identity | null>(() => {}); // never answers
      },
      { inFlightTimeoutMs: 20 },
    );
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    void cached('hang');
    void cached('hang'); // shares the first lookup
    await tick(); // the store is called in a microtask
    expect(calls).toBe(1);
    expect(cached.inFlight).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cached.inFlight).toBe(0);
    void cached('hang'); // a new lookup, not the dead one
    await tick();
    expect(calls).toBe(2);
  });

  it('bounds the lookups in flight by max: past it a lookup runs unshared', async () => {
    let calls = 0;
    const g = gate();
    const cached = cachedKeys(
      async (key) => {
        calls++;
        await g.opened;
        return { id: `id-${key}`, plan: 'free' };
      },
      { max: 2 },
    );
    const pending = ['k1', 'k2', 'k3', 'k4', 'k3'].map((k) => cached(k));
    expect(cached.inFlight).toBe(2);
    g.open();
    await Promise.all(pending);
    expect(calls).toBe(5);
    expect(cached.inFlight).toBe(0);
  });

  it('rejects bad options at construction', () => {
    expect(() => cachedKeys(() => null, { inFlightTimeoutMs: 0 })).toThrow(TwoFaConfigError);
    expect(() => cachedKeys(() => null, { ttlMs: 0 })).toThrow(TwoFaConfigError);
    expect(() => cachedKeys(() => null, { max: 1.5 })).toThrow(TwoFaConfigError);
    expect(() => cachedKeys(() => null, { negativeTtlMs: -1 })).toThrow(TwoFaConfigError);
    expect(() => cachedKeys(() => null, { negativeTtlMs: 0 })).not.toThrow();
  });
});

describe('hashedKeys', () => {
  it('looks keys up by their SHA-256 hex digest only', async () => {
    const issued = 'tfk_live_3f9a8c2e';
    const digests = new Map([[hashKey(issued), ALICE]]);
    const seen: string[] = [];
    srv = await serve({
      resolveKey: hashedKeys(async (digest) => {
        seen.push(digest);
        return digests.get(digest) ?? null;
      }),
    });
    expect((await postForm(srv.at('/generate'), { secret: SECRET }, issued)).status).toBe(200);
    expect((await postForm(srv.at('/generate'), { secret: SECRET }, 'tfk_live_guess')).status).toBe(401);
    expect(seen).toHaveLength(2);
    for (const d of seen) expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(seen[0]).toBe(hashKey(issued));
    expect(seen.join()).not.toContain('tfk_live');
  });

  it('composes with cachedKeys', async () => {
    let calls = 0;
    const resolve = cachedKeys(
      hashedKeys((digest) => {
        calls++;
        return digest === hashKey('k1') ? ALICE : null;
      }),
    );
    expect(await resolve('k1')).toEqual(ALICE);
    expect(await resolve('k1')).toEqual(ALICE);
    expect(calls).toBe(1);
  });
});

describe('staticKeys', () => {
  it('takes caller ids ({ key: { plan, id } }) and refuses an id that is its key', async () => {
    const resolve = staticKeys({ 'sk-live-0001': { plan: 'pro', id: 'customer-42' } });
    expect(await resolve('sk-live-0001')).toEqual({ plan: 'pro', id: 'customer-42' });
    expect(() => staticKeys({ 'sk-live-0002': { plan: 'pro', id: 'sk-live-0002' } })).toThrow(
      /identity id must not be its key/,
    );
    expect(() => staticKeys(new Map([['sk-live-0003', { plan: 'pro', id: 'sk-live-0003' }]]))).toThrow(
      TwoFaConfigError,
    );
  });

  it('derives the ids of key → plan entries with a keyed hash: not testable against guessed keys without the secret', async () => {
    const key = 'acme-prod-2024';
    const secret = 'deployment-id-secret-0001';
    const id = (await staticKeys({ [key]: 'pro' }, { idSecret: secret })(key))?.id;
    expect(id).toBe(`key_${createHmac('sha256', secret).update(key).digest('hex').slice(0, 16)}`);
    // The old id, an unsalted SHA-256 a guess list recovers offline, is gone.
    expect(id).not.toBe(`key_${hashKey(key).slice(0, 16)}`);
    // The same secret gives the same ids (instances agree); another secret other ids.
    expect((await staticKeys({ [key]: 'pro' }, { idSecret: secret })(key))?.id).toBe(id);
    expect((await staticKeys({ [key]: 'pro' }, { idSecret: `${secret}x` })(key))?.id).not.toBe(id);
    // Without a secret: a random one of this process, never the unsalted hash.
    const perProcess = (await staticKeys({ [key]: 'pro' })(key))?.id;
    expect(perProcess).toMatch(/^key_[0-9a-f]{16}$/);
    expect(perProcess).not.toBe(`key_${hashKey(key).slice(0, 16)}`);
    expect(() => staticKeys({ [key]: 'pro' }, { idSecret: 'short' })).toThrow(/at least 16 characters/);
  });

  it('is refused beside a shared store when its ids change at every start (no idSecret)', () => {
    const shared = new RedisStore({ client: fakeRedisClient() });
    expect(() => createTwoFa({ resolveKey: staticKeys({ k: 'pro' }), store: shared })).toThrow(/idSecret/);
    createTwoFa({ resolveKey: staticKeys({ k: 'pro' }, { idSecret: 'deployment-id-secret-0001' }), store: shared });
    createTwoFa({ resolveKey: staticKeys({ k: { id: 'customer-1', plan: 'pro' } }), store: shared });
    createTwoFa({ resolveKey: staticKeys({ k: 'pro' }) }); // the memory store: counts end with the process too
  });
});

/** Enough of an ioredis client for RedisStore's constructor (never connected: nothing is sent). */
function fakeRedisClient() {
  const client: Record<string, unknown> = {
    status: 'wait',
    defineCommand(name: string) {
      client[name] = () => Promise.reject(new Error('not connected'));
    },
  };
  return client as unknown as ConstructorParameters<typeof RedisStore>[0]['client'];
}

import { MemoryStore, TwoFaConfigError } from '@twofa-kit/core';
import { applyCredits, configFromEnv, listenUrl, startupMessage } from '@twofa-kit/example-support';
import { describe, expect, it } from 'vitest';

describe('configFromEnv', () => {
  it('defaults to 127.0.0.1:3000, the default plans, memory limits and one demo key per plan', async () => {
    const config = configFromEnv({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.plans).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.demoKeys?.map((d) => d.plan)).toEqual(['free', 'pro', 'ultra']);
    for (const { key, plan } of config.demoKeys ?? []) {
      expect(key).toMatch(new RegExp(`^demo_${plan}_[A-Za-z0-9_-]{22}$`));
      expect(await config.resolveKey(key)).toMatchObject({ plan });
    }
  });

  it('makes different demo keys on every start', () => {
    const a = configFromEnv({}).demoKeys?.map((d) => d.key);
    const b = configFromEnv({}).demoKeys?.map((d) => d.key);
    expect(a).toHaveLength(3);
    expect(new Set([...(a ?? []), ...(b ?? [])]).size).toBe(6);
  });

  it('reads PORT and HOST', () => {
    expect(configFromEnv({ PORT: '8080', HOST: '0.0.0.0' })).toMatchObject({ port: 8080, host: '0.0.0.0' });
    expect(configFromEnv({ PORT: '0' }).port).toBe(0);
    expect(configFromEnv({ PORT: '', HOST: ' ' })).toMatchObject({ port: 3000, host: '127.0.0.1' });
  });

  it.each(['abc', '-1', '65536', '3.5', '1e3'])('rejects PORT=%s', (PORT) => {
    expect(() => configFromEnv({ PORT })).toThrow(/PORT must be an integer from 0 to 65535/);
  });

  it('uses TWOFA_API_KEYS and makes no demo keys', async () => {
    const config = configFromEnv({ TWOFA_API_KEYS: 'k1:free, k2:pro ,k3:ultra' });
    expect(config.demoKeys).toBeUndefined();
    expect(await config.resolveKey('k1')).toMatchObject({ plan: 'free' });
    expect(await config.resolveKey('k2')).toMatchObject({ plan: 'pro' });
    expect(await config.resolveKey('k3')).toMatchObject({ plan: 'ultra' });
    expect(await config.resolveKey('k4')).toBeNull();
    // The identity id is derived from a hash, never the key itself.
    expect((await config.resolveKey('k1'))?.id).not.toContain('k1');
  });

  it('treats an empty TWOFA_API_KEYS as unset', () => {
    expect(configFromEnv({ TWOFA_API_KEYS: '  ' }).demoKeys).toHaveLength(3);
  });

  it('rejects a key naming an unknown plan, without echoing the key', () => {
    const run = () => configFromEnv({ TWOFA_API_KEYS: 'secretkey1:free,secretkey2:gold' });
    expect(run).toThrow(TwoFaConfigError);
    expect(run).toThrow(/entry 2 names an unknown plan \(plans: free, pro, ultra; entries are key:plan\)/);
    expect(() => run()).not.toThrow(/secretkey/);
    // A reversed entry puts the key where the plan goes: the message names the entry by position only.
    const reversed = () => configFromEnv({ TWOFA_API_KEYS: 'free:sk_live_x9Y' });
    expect(reversed).toThrow(/entry 1 names an unknown plan/);
    expect(() => reversed()).not.toThrow(/sk_live/);
  });

  it('reads TRUST_PROXY (default 0) and rejects what is not a small count', () => {
    expect(configFromEnv({}).trustProxy).toBe(0);
    expect(configFromEnv({ TRUST_PROXY: ' 2 ' }).trustProxy).toBe(2);
    for (const bad of ['-1', '1.5', 'true', 'x', '100', '01']) {
      expect(() => configFromEnv({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY must be/);
    }
  });

  it('rejects a malformed key list', () => {
    expect(() => configFromEnv({ TWOFA_API_KEYS: 'k1' })).toThrow(/key:plan/);
    expect(() => configFromEnv({ TWOFA_API_KEYS: 'k1:' })).toThrow(/key:plan/);
  });

  it('adds and replaces plans from TWOFA_PLANS (null = unlimited, absent = unlimited)', async () => {
    const config = configFromEnv({
      TWOFA_PLANS:
        '{"bench":{"minute":1000000000,"hour":null,"day":null},"free":{"minute":2},"metered":{"minute":1000,"month":50000}}',
      TWOFA_API_KEYS: 'kb:bench,kf:free',
    });
    expect(config.plans).toEqual({
      bench: { minute: 1_000_000_000, hour: null, day: null, month: null },
      free: { minute: 2, hour: null, day: null, month: null },
      metered: { minute: 1000, hour: null, day: null, month: 50_000 },
    });
    expect(Object.keys(config.planTable)).toEqual(['free', 'pro', 'ultra', 'bench', 'metered']);
    expect(config.planTable.pro).toEqual({ minute: 30, hour: 1000, day: 10000, month: null });
    expect(await config.resolveKey('kb')).toMatchObject({ plan: 'bench' });
  });

  it('makes a demo key for an added plan too', () => {
    const config = configFromEnv({ TWOFA_PLANS: '{"bench":{"minute":null}}' });
    expect(config.demoKeys?.map((d) => d.plan)).toEqual(['free', 'pro', 'ultra', 'bench']);
  });

  it.each([
    ['{not json', /TWOFA_PLANS is not valid JSON/],
    ['[1]', /TWOFA_PLANS must be a JSON object/],
    ['null', /TWOFA_PLANS must be a JSON object/],
    ['{"x":5}', /plan "x" must be an object/],
    ['{"x":{"minute":0}}', /plans\.x\.minute must be an integer ≥ 1 or null/],
    ['{"x":{"minute":1.5}}', /plans\.x\.minute must be an integer ≥ 1 or null/],
    ['{"x":{"minute":"5"}}', /plans\.x\.minute must be an integer ≥ 1 or null/],
    ['{"x":{"second":5}}', /unknown window "second"/],
    ['{"x":{"month":0}}', /plans\.x\.month must be an integer ≥ 1 or null/],
    ['{"a:b":{"minute":5}}', /plan name "a:b"/],
    ['{"__proto__":{"minute":5}}', /plan name "__proto__"/],
    ['{"":{"minute":5}}', /plan name ""/],
  ])('rejects TWOFA_PLANS=%s', (TWOFA_PLANS, message) => {
    expect(() => configFromEnv({ TWOFA_PLANS })).toThrow(message);
  });

  it('reads REDIS_URL and rejects what is not a redis URL', () => {
    expect(configFromEnv({ REDIS_URL: 'redis://127.0.0.1:6390/0' }).redisUrl).toBe('redis://127.0.0.1:6390/0');
    expect(configFromEnv({ REDIS_URL: 'rediss://h:6380' }).redisUrl).toBe('rediss://h:6380');
    expect(configFromEnv({ REDIS_URL: '' }).redisUrl).toBeUndefined();
    expect(() => configFromEnv({ REDIS_URL: 'http://x' })).toThrow(/redis:\/\//);
    expect(() => configFromEnv({ REDIS_URL: 'nope' })).toThrow(/REDIS_URL must be a URL/);
    expect(configFromEnv({ REDIS_URL: 'redis://h:1' }).redis).toEqual({ kind: 'url', url: 'redis://h:1' });
    expect(configFromEnv({}).redis).toBeUndefined();
  });

  it('reads REDIS_CLUSTER_NODES: comma-separated host:port seeds', () => {
    const config = configFromEnv({ REDIS_CLUSTER_NODES: '127.0.0.1:7001, redis-a.internal:7002,[::1]:7003' });
    expect(config.redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7001 },
        { host: 'redis-a.internal', port: 7002 },
        { host: '::1', port: 7003 },
      ],
    });
    expect(config.redisUrl).toBeUndefined();
  });

  it('reads REDIS_SENTINELS with REDIS_SENTINEL_NAME', () => {
    expect(configFromEnv({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: ' mymaster ' }).redis).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
    });
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: '127.0.0.1' }, /REDIS_CLUSTER_NODES entry 1 must be host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:1,b:0' }, /REDIS_CLUSTER_NODES entry 2 must be host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:65536' }, /entry 1 must be host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:1,,b:2' }, /entry 2 must be host:port/],
    [{ REDIS_CLUSTER_NODES: 'redis://a:1' }, /entry 1 must be host:port/],
    [{ REDIS_SENTINELS: 's1:26379' }, /REDIS_SENTINELS needs REDIS_SENTINEL_NAME/],
    [{ REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINELS entry 1 must be host:port/],
    [{ REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINEL_NAME needs REDIS_SENTINELS/],
    [{ REDIS_URL: 'redis://h:1', REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINEL_NAME needs REDIS_SENTINELS/],
    [{ REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'a:1' }, /only one of .*\(got REDIS_URL, REDIS_CLUSTER_NODES\)/],
    [{ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 's:1', REDIS_SENTINEL_NAME: 'm' }, /only one of/],
  ])('rejects %j', (env, message) => {
    expect(() => configFromEnv(env)).toThrow(TwoFaConfigError);
    expect(() => configFromEnv(env)).toThrow(message);
  });
});

describe('TWOFA_CREDITS', () => {
  const KEYS = { TWOFA_API_KEYS: 'sk_live_one:free,sk_live_two:pro' };

  it('gives the identities of listed keys their starting balance, credited once per key', async () => {
    const config = configFromEnv({ ...KEYS, TWOFA_CREDITS: '{"sk_live_one":1000,"sk_live_two":5}' });
    const one = (await config.resolveKey('sk_live_one'))?.id as string;
    const two = (await config.resolveKey('sk_live_two'))?.id as string;
    expect(config.credits).toEqual([
      { identityId: one, balance: 1000 },
      { identityId: two, balance: 5 },
    ]);
    const store = new MemoryStore();
    await applyCredits(store, config.credits);
    await applyCredits(store, config.credits); // a restart on the same store credits nothing again
    expect([store.balance(one), store.balance(two)]).toEqual([1000, 5]);
    expect(configFromEnv({ ...KEYS, TWOFA_CREDITS: ' ' }).credits).toBeUndefined();
    expect(configFromEnv(KEYS).credits).toBeUndefined();
  });

  it.each([
    ['{"sk_live_one":', /TWOFA_CREDITS is not valid JSON$/],
    ['[1000]', /must be a JSON object from key to credits/],
    ['{"sk_live_one":0}', /entry 1 must be a positive integer/],
    ['{"sk_live_one":1,"sk_live_two":"5"}', /entry 2 must be a positive integer/],
    ['{"sk_live_one":1.5}', /entry 1 must be a positive integer/],
    ['{"sk_live_three":10}', /entry 1 names a key that is not in TWOFA_API_KEYS/],
  ])('rejects TWOFA_CREDITS=%s without echoing a key', (TWOFA_CREDITS, message) => {
    expect(() => configFromEnv({ ...KEYS, TWOFA_CREDITS })).toThrow(message);
    try {
      configFromEnv({ ...KEYS, TWOFA_CREDITS });
    } catch (error) {
      expect(error).toBeInstanceOf(TwoFaConfigError);
      expect(String(error)).not.toMatch(/sk_live/);
    }
  });
});

describe('startupMessage', () => {
  it('names the framework and address, and lists demo keys when there are some', () => {
    const text = startupMessage('koa', '127.0.0.1', 3000, [
      { plan: 'free', key: 'demo_free_a' },
      { plan: 'pro', key: 'demo_pro_b' },
    ]);
    expect(text.split('\n')[0]).toBe('twofa-kit koa example listening on http://127.0.0.1:3000');
    expect(text).toMatch(/free +demo_free_a/);
    expect(text).toMatch(/pro +demo_pro_b/);
  });

  it('without demo keys: the address and the API reference page', () => {
    expect(startupMessage('express', '::1', 80, undefined)).toBe(
      'twofa-kit express example listening on http://[::1]:80\nAPI reference: http://[::1]:80/api/2fa/docs',
    );
    expect(listenUrl('localhost', 1)).toBe('http://localhost:1');
  });
});

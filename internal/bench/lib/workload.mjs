/**
 * The benchmark's workload, shared by the load generator and the server children: 10,000 distinct
 * secrets, 100 distinct API keys on a plan whose three windows are never reached, form bodies like
 * the API documentation's curl example. Deterministic (a seeded generator), so every run sends the same traffic.
 */
import { createHash } from 'node:crypto';
import { encodeBase32 } from '@twofa-kit/core';

export const SECRET_COUNT = 10_000;
export const KEY_COUNT = 100;
export const PATH = '/api/2fa/generate';
/** Three limited windows that the load never reaches, so the limiter does real work every time. */
export const PLANS = { bench: { minute: 1e9, hour: 1e9, day: 1e9 } };
export const PLAN = 'bench';

/** What the bare routes answer: the API documentation's sample envelope. */
export const FIXED_ENVELOPE = Object.freeze({
  code: 200,
  message: 'Code generated successfully',
  data: Object.freeze({ code: '123456', remaining_time: 18, timestamp: 1772035200, valid_until: 1772035218 }),
});

/** `n` pseudo-random bytes from a label (SHA-256 in counter mode): the same on every run. */
function bytes(label, n) {
  const out = Buffer.alloc(n);
  for (let i = 0, block = 0; i < n; block++) {
    const h = createHash('sha256').update(`${label}:${block}`).digest();
    i += h.copy(out, i, 0, Math.min(h.length, n - i));
  }
  return out;
}

/** 20-byte secrets (32 Base32 characters), the size authenticator apps issue. */
export function secrets(count = SECRET_COUNT) {
  return Array.from({ length: count }, (_, i) => encodeBase32(bytes(`secret-${i}`, 20)));
}

/** API keys as 32 hex characters. */
export function apiKeys(count = KEY_COUNT) {
  return Array.from({ length: count }, (_, i) => bytes(`key-${i}`, 16).toString('hex'));
}

/** The key table for the kit's `staticKeys`: every key on the bench plan, its own identity. */
export function keyTable(keys = apiKeys()) {
  return Object.fromEntries(keys.map((k, i) => [k, { id: `bench-${i}`, plan: PLAN }]));
}

/** `application/x-www-form-urlencoded` bodies, one per secret (Base32 needs no escaping). */
export function formBodies(list = secrets()) {
  return list.map((s) => `secret=${s}`);
}

/**
 * A burst of concurrent wrong-password guesses at one email from one address, and a real user
 * signing in meanwhile from another address: how many guesses reach the password check (answered
 * 401), how many are refused before it (429) or turned away (503), and how long the real sign-in
 * takes. Needs DATABASE_URL (a scratch database: it creates two accounts) and a build
 * (`pnpm --dir apps/paid-api build`).
 *
 *   DATABASE_URL=postgres://… GUESSES=400 node apps/paid-api/bench/sign-in-burst.mjs
 *
 * The server listens on `::`: the guesses come from 127.0.0.1, the real user from ::1.
 */
import { DEFAULT_PLANS } from '@twofa-kit/core';
import pg from 'pg';
import { buildApp, createCustomer, migrate } from '../dist/index.js';

const GUESSES = Number(process.env.GUESSES ?? 400);
const PASSWORD = 'correct horse battery';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await migrate(pool);
const run = Date.now().toString(36);
const victim = `victim-${run}@example.com`;
const user = `user-${run}@example.com`;
for (const email of [victim, user])
  await createCustomer(pool, DEFAULT_PLANS, { email, plan: 'free', password: PASSWORD });

const { app } = buildApp({ pool });
await app.listen({ port: 0, host: '::' });
const port = app.server.address().port;

/** The sign-in form's token and cookie, as a browser gets them. */
async function form(host) {
  const res = await fetch(`http://${host}:${port}/dashboard/login`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await res.text())[1];
  return { csrf, cookie: res.headers.getSetCookie()[0].split(';')[0] };
}

async function signIn(host, f, email, password) {
  const res = await fetch(`http://${host}:${port}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: f.cookie },
    body: new URLSearchParams({ email, password, csrf: f.csrf }).toString(),
  });
  await res.text();
  return res.status;
}

const attacker = await form('127.0.0.1');
const real = await form('[::1]');
const started = performance.now();
const burst = Promise.all(
  Array.from({ length: GUESSES }, (_, i) => signIn('127.0.0.1', attacker, victim, `guess-${i}-wrong`)),
);
await new Promise((resolve) => setTimeout(resolve, 20));
const t0 = performance.now();
const realStatus = await signIn('[::1]', real, user, PASSWORD);
const realMs = performance.now() - t0;
const statuses = await burst;
const burstMs = performance.now() - started;
const tally = {};
for (const s of statuses) tally[s] = (tally[s] ?? 0) + 1;
console.log(
  JSON.stringify({
    guesses: GUESSES,
    answers: tally,
    passwordChecks: tally[401] ?? 0,
    burstMs: Math.round(burstMs),
    realSignIn: { status: realStatus, ms: Math.round(realMs) },
  }),
);
await app.close();
await pool.end();

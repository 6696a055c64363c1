/**
 * Passwords for the Dashboard's sign-in: scrypt, stored as `scrypt$N$r$p$salt$hash`, and the
 * sign-in check itself.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { PaidApiError } from '../errors.js';
import type { Role } from './sessions.js';

const SCRYPT = { N: 16_384, r: 8, p: 1, keylen: 32 } as const;

function derive(password: string, salt: Buffer, N: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { N, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  if (password.length < 8) throw new PaidApiError('a password needs at least 8 characters');
  const salt = randomBytes(16);
  const hash = await derive(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Checks a password against a stored `scrypt$…` hash, in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return timingSafeEqual(actual, expected);
}

/** More password checks are queued than `PasswordChecks` allows: answer 503, try again later. */
export class PasswordChecksBusyError extends Error {
  override readonly name = 'PasswordChecksBusyError';
  constructor() {
    super('too many password checks running and queued');
  }
}

/**
 * A bound on the scrypt work of this process (each check: ~50 ms of CPU and 16 MiB): at most
 * `running` at once, at most `queued` waiting; past that `run` fails at once with
 * `PasswordChecksBusyError`, so a flood of sign-ins cannot queue a real user behind it for
 * seconds. (A counter and a queue: small enough that no package is worth it.)
 */
export class PasswordChecks {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly maxRunning = 2,
    readonly maxQueued = 32,
  ) {}

  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.#running >= this.maxRunning) {
      if (this.#waiting.length >= this.maxQueued) throw new PasswordChecksBusyError();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else this.#running++;
    try {
      return await check();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined)
        next(); // the place passes to the next one in line
      else this.#running--;
    }
  }
}

/** A fixed scrypt hash, checked when the email is unknown so both answers take as long. */
let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password: the account's id and role when they match an active account with
 * a password, else undefined (the same answer, after the same work, for every kind of mismatch).
 */
export async function checkPassword(
  pool: pg.Pool,
  email: string,
  password: string,
  checks?: PasswordChecks,
): Promise<{ id: string; role: Role } | undefined> {
  const { rows } = await pool.query<{ id: string; role: Role; status: string; password_hash: string | null }>(
    'SELECT id, role, status, password_hash FROM customers WHERE lower(email) = lower($1)',
    [email.trim()],
  );
  const row = rows[0];
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const stored = row?.password_hash ?? (await dummyHash);
  const ok = await (checks === undefined
    ? verifyPassword(password, stored)
    : checks.run(() => verifyPassword(password, stored)));
  if (!ok || row === undefined || row.password_hash === null || row.status !== 'active') return undefined;
  return { id: row.id, role: row.role };
}

/**
 * Two-factor sign-in with TOTP (RFC 6238: SHA-1, 6 digits, 30 s, the authenticator apps' default)
 * and 10 single-use recovery codes.
 *
 * - The secret is kept encrypted (AES-256-GCM, the account's id as associated data, so a sealed
 *   secret copied to another row does not open) with the Dashboard's secret key
 *   (`DASHBOARD_SECRET_KEY`): the database alone never gives it away. It is shown once, at
 *   enrolment, as text and as a QR code.
 * - A code is checked by the kit itself: `verifyTotp` for the match, and the limiter store's
 *   verification memory (`recordVerification`, as the `/verify` route uses it) so an accepted
 *   code — and every earlier one — is refused the second time, and repeated failures are blocked
 *   for a while. With a `RedisStore` that memory is shared by every instance.
 * - Recovery codes are 50 random bits each; the database keeps their SHA-256 digests.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt } from 'node:crypto';
import { encodeBase32, TOTP_BOUNDS, type TotpParams, type TwoFa, verifyTotp } from '@twofa-kit/core';
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import type { Role } from './sessions.js';
import { digest, token } from './tokens.js';

export const RECOVERY_CODE_COUNT = 10;
/** The clock drift accepted, in 30-second steps either side (the `/verify` route's default). */
const WINDOW = TOTP_BOUNDS.window.default;
const PERIOD = 30;

// --- the secret, sealed -------------------------------------------------------------------------

/** Encrypts a secret for one account: `v1.<iv>.<ciphertext>.<tag>`, base64url. */
export function sealSecret(key: Buffer, customerId: string, secret: Uint8Array): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(customerId));
  const body = Buffer.concat([cipher.update(secret), cipher.final()]);
  return ['v1', iv, body, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Decrypts a sealed secret; throws when the key or the account is not the one it was sealed with. */
export function openSecret(key: Buffer, customerId: string, sealed: string): Buffer {
  const [version, iv = '', body = '', tag = ''] = sealed.split('.');
  if (version !== 'v1') throw new Error('unknown sealed-secret format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    .setAAD(Buffer.from(customerId))
    .setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
}

/**
 * An account's secret (`totp_secret`) or the one being enrolled (`totp_pending`), opened; undefined
 * when there is none or it does not open (sealed with another key: no code can match it then, and
 * the answer is a plain failure, not an error).
 */
async function storedSecret(
  pool: pg.Pool,
  key: Buffer,
  customerId: string,
  column: 'totp_secret' | 'totp_pending',
): Promise<Buffer | undefined> {
  const { rows } = await pool.query<{ sealed: string | null }>(
    `SELECT ${column} AS sealed FROM customers WHERE id = $1`,
    [customerId],
  );
  const sealed = rows[0]?.sealed;
  if (sealed === null || sealed === undefined) return undefined;
  try {
    return openSecret(key, customerId, sealed);
  } catch {
    return undefined;
  }
}

/** What checks a code: the accounts, the key their secrets are sealed with, and the kit (its verify memory). */
export interface CodeChecker {
  readonly pool: pg.Pool;
  readonly key: Buffer;
  readonly twoFa: TwoFa;
}

// --- enrolment ----------------------------------------------------------------------------------

/**
 * The secret being enrolled, as base32 text: the pending one if there is one, else a new one
 * (160 random bits), kept sealed until a code confirms it.
 */
export async function pendingSecret(pool: pg.Pool, key: Buffer, customerId: string): Promise<string> {
  const pending = await storedSecret(pool, key, customerId, 'totp_pending');
  if (pending !== undefined) return encodeBase32(pending);
  const secret = randomBytes(20);
  await pool.query('UPDATE customers SET totp_pending = $2 WHERE id = $1', [
    customerId,
    sealSecret(key, customerId, secret),
  ]);
  return encodeBase32(secret);
}

/** The `otpauth://` URI an authenticator app reads from the QR code. */
export function otpauthUri(issuer: string, email: string, secret: string): string {
  const label = encodeURIComponent(`${issuer}:${email}`);
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=${PERIOD}`;
}

export type CodeCheck =
  | { readonly status: 'accepted' | 'recovery' | 'replayed' | 'failed' }
  | { readonly status: 'blocked'; readonly retryAfterMs: number };

/**
 * Confirms an enrolment with a code of the pending secret: the secret becomes the account's, and
 * 10 new recovery codes (returned, to be shown once) replace any older ones.
 */
export async function confirmEnrolment(
  { pool, key, twoFa }: CodeChecker,
  customerId: string,
  code: string,
  nowMs: number,
): Promise<{ check: CodeCheck; recoveryCodes?: string[] }> {
  const pending = await storedSecret(pool, key, customerId, 'totp_pending');
  if (pending === undefined) return { check: { status: 'failed' } };
  const check = await checkTotp(twoFa, customerId, pending, code, nowMs);
  if (check.status !== 'accepted') return { check };
  const codes = await transaction(pool, async (client) => {
    await client.query(
      `UPDATE customers SET totp_secret = totp_pending, totp_pending = NULL, totp_enabled_at = now(), updated_at = now()
        WHERE id = $1`,
      [customerId],
    );
    return writeRecoveryCodes(client, customerId);
  });
  return { check, recoveryCodes: codes };
}

/** Replaces an account's recovery codes with 10 new ones (returned, to be shown once). */
export async function newRecoveryCodes(pool: pg.Pool, customerId: string): Promise<string[]> {
  return transaction(pool, (client) => writeRecoveryCodes(client, customerId));
}

async function writeRecoveryCodes(client: pg.PoolClient, customerId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
  await client.query('DELETE FROM recovery_codes WHERE customer_id = $1', [customerId]);
  await client.query('INSERT INTO recovery_codes (digest, customer_id) SELECT unnest($2::text[]), $1', [
    customerId,
    codes.map((c) => digest(normalise(c))),
  ]);
  return codes;
}

/** Turns two-factor sign-in off: the secret and the recovery codes are deleted. */
export async function turnOffTwoFactor(pool: pg.Pool, customerId: string): Promise<void> {
  await transaction(pool, async (client) => {
    await client.query(
      `UPDATE customers SET totp_secret = NULL, totp_pending = NULL, totp_enabled_at = NULL, updated_at = now()
        WHERE id = $1`,
      [customerId],
    );
    await client.query('DELETE FROM recovery_codes WHERE customer_id = $1', [customerId]);
  });
}

/** Whether an account signs in with a second factor. */
export async function hasTwoFactor(pool: Pick<pg.Pool, 'query'>, customerId: string): Promise<boolean> {
  const { rows } = await pool.query('SELECT 1 FROM customers WHERE id = $1 AND totp_secret IS NOT NULL', [customerId]);
  return rows.length > 0;
}

/** How many unused recovery codes an account has. */
export async function recoveryCodesLeft(pool: pg.Pool, customerId: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM recovery_codes WHERE customer_id = $1 AND used_at IS NULL',
    [customerId],
  );
  return Number(rows[0]?.n ?? 0);
}

// --- the second step of a sign-in ---------------------------------------------------------------

/**
 * Checks a sign-in's second factor: 6 digits are a TOTP code (replay-safe, see above), anything
 * else a recovery code (used up by this check when it matches).
 */
export async function checkSecondFactor(
  { pool, key, twoFa }: CodeChecker,
  customerId: string,
  code: string,
  nowMs: number,
): Promise<CodeCheck> {
  const given = code.replace(/\s+/g, '');
  if (/^\d{6}$/.test(given)) {
    const secret = await storedSecret(pool, key, customerId, 'totp_secret');
    if (secret === undefined) return { status: 'failed' };
    return checkTotp(twoFa, customerId, secret, given, nowMs);
  }
  const { rowCount } = await pool.query(
    `UPDATE recovery_codes SET used_at = now() WHERE digest = $1 AND customer_id = $2 AND used_at IS NULL`,
    [digest(normalise(given)), customerId],
  );
  return { status: (rowCount ?? 0) > 0 ? 'recovery' : 'failed' };
}

/** The kit's verification: `verifyTotp`, then the store's memory of accepted steps and failures. */
async function checkTotp(
  twoFa: TwoFa,
  customerId: string,
  secret: Buffer,
  code: string,
  nowMs: number,
): Promise<CodeCheck> {
  const params: TotpParams = { key: secret, digits: 6, period: PERIOD, algorithm: 'SHA1' };
  const timestamp = Math.floor(nowMs / 1000);
  const delta = /^\d{6}$/.test(code) ? verifyTotp(params, code, timestamp, WINDOW) : null;
  // As the /verify route does: the step by its start time, remembered until no window can accept it.
  const step = delta === null ? null : (Math.floor(timestamp / PERIOD) + delta) * PERIOD;
  const rememberMs = step === null ? 0 : (step + (TOTP_BOUNDS.window.max + 1) * PERIOD - timestamp) * 1000 + 1000;
  const limit = twoFa.config.verifyFailureLimit;
  const memoryKey = createHash('sha256')
    .update('twofa-dashboard\0')
    .update(customerId)
    .update('\0')
    .update(secret)
    .digest('hex');
  const record = await twoFa.config.verifyMemory.recordVerification(
    memoryKey,
    { step, rememberMs },
    { maxFailures: limit.max, failureWindowMs: limit.windowSeconds * 1000 },
  );
  if (record.status === 'blocked') return { status: 'blocked', retryAfterMs: record.retryAfterMs };
  return { status: record.status };
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** `xxxxx-xxxxx` from an alphabet without look-alikes (about 50 bits). */
function recoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

const normalise = (code: string) => code.toLowerCase().replace(/[^a-z0-9]/g, '');

// --- the pending second step of a sign-in -------------------------------------------------------

/** How long the code step of a sign-in waits after the password. */
export const SIGN_IN_STEP_TTL_SECONDS = 300;

/** Starts the code step after a right password; returns its token (for a cookie; stored as a digest). */
export async function openSignInStep(
  pool: pg.Pool,
  customerId: string,
  userAgent: string | undefined,
): Promise<string> {
  await pool.query(`DELETE FROM sign_in_steps WHERE expires_at < now() - interval '1 day'`);
  const t = token();
  await pool.query(
    `INSERT INTO sign_in_steps (digest, customer_id, user_agent, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [digest(t), customerId, userAgent?.slice(0, 200) ?? null, SIGN_IN_STEP_TTL_SECONDS],
  );
  return t;
}

/** The account of a live code step. */
export async function signInStep(
  pool: pg.Pool,
  step: string,
): Promise<{ customerId: string; role: Role; userAgent: string | undefined } | undefined> {
  const { rows } = await pool.query<{ customer_id: string; role: Role; user_agent: string | null }>(
    `SELECT s.customer_id, c.role, s.user_agent FROM sign_in_steps s JOIN customers c ON c.id = s.customer_id
      WHERE s.digest = $1 AND s.used_at IS NULL AND s.expires_at > now() AND c.status = 'active'`,
    [digest(step)],
  );
  const row = rows[0];
  return row === undefined
    ? undefined
    : { customerId: row.customer_id, role: row.role, userAgent: row.user_agent ?? undefined };
}

/** Ends a code step; false when it was already used (a second request with the same cookie). */
export async function useSignInStep(pool: pg.Pool, step: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    'UPDATE sign_in_steps SET used_at = now() WHERE digest = $1 AND used_at IS NULL',
    [digest(step)],
  );
  return (rowCount ?? 0) > 0;
}

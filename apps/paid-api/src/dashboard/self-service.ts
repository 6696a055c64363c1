/**
 * The self-service settings of the Dashboard (sign-up, mails, two-factor sign-in, throttling),
 * resolved once when the app is built.
 */
import { randomBytes } from 'node:crypto';
import { TwoFaConfigError } from '@twofa-kit/core';
import type { FastifyBaseLogger } from 'fastify';
import { logMailer, type Mail, type Mailer } from '../alerts/mailer.js';
import { type AttemptLimit, DEFAULT_CODE_LIMIT, DEFAULT_MAIL_LIMIT } from './throttle.js';

export type SignUpMode = 'open' | 'invite';

export interface SelfServiceOptions {
  /** `open`: anyone may sign up; `invite` (the default): accounts come from invitations only. */
  readonly signup?: SignUpMode | undefined;
  /**
   * The Dashboard's public base URL, the start of every link in a mail (never taken from a
   * request's Host header). Default `http://localhost:3000`.
   */
  readonly publicUrl?: string | (() => string) | undefined;
  /** How mails leave (`buildApp` passes its `mailer`). Default: written to the server's log (`logMailer`). */
  readonly mailer?: Mailer | undefined;
  /**
   * The 32-byte key that encrypts two-factor secrets in the database (`DASHBOARD_SECRET_KEY`).
   * Default: a random key for this process only (enrolments then do not survive a restart).
   */
  readonly secretKey?: Buffer | undefined;
  /** Sign-up and reset mails per address and per client address. Default 5 and 20 an hour. */
  readonly mailLimit?: AttemptLimit | undefined;
  /** Wrong two-factor codes per account and per client address. Default 10 and 50 per 15 minutes. */
  readonly codeLimit?: AttemptLimit | undefined;
}

export interface SelfService {
  readonly signup: SignUpMode;
  publicUrl(): string;
  readonly secretKey: Buffer;
  readonly mailLimit: AttemptLimit;
  readonly codeLimit: AttemptLimit;
  /** Sends a mail without waiting for it (the answer must not say, by its timing, whether one left). */
  send(mail: Mail, log: FastifyBaseLogger): void;
}

/** Reads `DASHBOARD_SECRET_KEY`: 64 hex digits or the base64 of 32 bytes. */
export function parseSecretKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new TwoFaConfigError('DASHBOARD_SECRET_KEY must be 32 bytes: 64 hex digits or base64 (openssl rand -hex 32)');
  }
  return key;
}

export function selfService(options: SelfServiceOptions = {}): SelfService {
  const signup = options.signup ?? 'invite';
  if (signup !== 'open' && signup !== 'invite') {
    throw new TwoFaConfigError(`DASHBOARD_SIGNUP must be "open" or "invite", got ${JSON.stringify(signup)}`);
  }
  const url = options.publicUrl ?? 'http://localhost:3000';
  const mailer = options.mailer ?? logMailer();
  const secretKey = options.secretKey ?? randomBytes(32);
  if (secretKey.length !== 32) throw new TwoFaConfigError('the Dashboard secret key must be 32 bytes');
  return {
    signup,
    publicUrl: () => (typeof url === 'function' ? url() : url).replace(/\/+$/, ''),
    secretKey,
    mailLimit: options.mailLimit ?? DEFAULT_MAIL_LIMIT,
    codeLimit: options.codeLimit ?? DEFAULT_CODE_LIMIT,
    send(mail, log) {
      mailer.send(mail).catch((error: Error) => log.error({ err: error, subject: mail.subject }, 'mail not sent'));
    },
  };
}

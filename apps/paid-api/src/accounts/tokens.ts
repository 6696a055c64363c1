/** The random tokens of sessions and links, and the digests the database keeps of them. */
import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 of a token, hex: what the database stores instead of the token. */
export const digest = (value: string): string => createHash('sha256').update(value).digest('hex');
/** A random 256-bit token, base64url. */
export const token = (): string => randomBytes(32).toString('base64url');

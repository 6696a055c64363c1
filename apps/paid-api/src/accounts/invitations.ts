/**
 * Invitations: a link the CLI prints, letting the customer set a password once, within 7 days. A
 * link like the mailed ones (`links.ts`, stored as a digest): a new invitation cancels the older
 * ones, and using one cancels the rest, sets the password and ends every session of the account,
 * in one transaction.
 */
import type pg from 'pg';
import { transaction } from '../db/pool.js';
import { PaidApiError } from '../errors.js';
import { cancelLink, cancelLinksOf, createLink, LINK_TTL_SECONDS, linkAccount, useLink } from './links.js';
import { hashPassword } from './passwords.js';
import { setPasswordFromLink } from './reset.js';

/** How long an invitation link works. */
export const INVITATION_TTL_SECONDS = LINK_TTL_SECONDS.invite;

/** Creates an invitation for a customer, cancelling its older ones; returns its token (for the link, shown once). */
export async function createInvitation(pool: pg.Pool, customerId: string): Promise<string> {
  const customer = await pool.query('SELECT 1 FROM customers WHERE id = $1', [customerId]);
  if (customer.rowCount === 0) throw new PaidApiError(`no customer ${JSON.stringify(customerId)}`);
  return createLink(pool, customerId, 'invite');
}

/**
 * Cancels a link (its token, or the whole link as printed) or, with `customerId`, every working
 * link of that customer. Returns how many were cancelled.
 */
export async function revokeInvitations(
  pool: pg.Pool,
  which: { readonly link: string } | { readonly customerId: string },
): Promise<number> {
  if ('customerId' in which) return cancelLinksOf(pool, which.customerId, 'invite');
  return cancelLink(pool, which.link.slice(which.link.lastIndexOf('/') + 1), 'invite');
}

/** The email an invitation is for, while it can be used. */
export async function invitationEmail(pool: pg.Pool, invitation: string): Promise<string | undefined> {
  return (await linkAccount(pool, invitation, 'invite'))?.email;
}

/** Uses an invitation: sets the password; returns the account id, or undefined when it cannot be used. */
export async function acceptInvitation(
  pool: pg.Pool,
  invitation: string,
  password: string,
): Promise<string | undefined> {
  const hash = await hashPassword(password);
  return transaction(pool, async (client) => {
    const id = await useLink(client, invitation, 'invite');
    if (id !== undefined) await setPasswordFromLink(client, id, hash);
    return id;
  });
}

/**
 * The caller's identity, taken from the claims that the JWT authorizer (API Gateway in AWS, the dev
 * server locally) has already verified. The billing account and role come from configurable claims;
 * nothing here trusts the request body.
 */
import type { LinkoutConfig } from '#core/config';
import { invalidRequest, unauthorized } from '#core/errors';
import type { HttpEvent } from './middleware';

/**
 * The longest account id Linkout can use: Stripe keeps it in customer metadata, whose values are at
 * most 500 characters (DynamoDB keys would allow 2,048 bytes). Longer ids are refused before any I/O,
 * with a clear answer instead of a storage or Stripe failure.
 */
const MAX_ACCOUNT_ID_LENGTH = 500;

export interface Caller {
  accountId: string;
  /** The role claim as sent; undefined when missing. Policy code maps unknown roles to least privilege. */
  role: string | undefined;
}

export function callerFrom(event: HttpEvent, auth: LinkoutConfig['auth']): Caller {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  if (!claims) throw unauthorized();
  const accountId = claimString(claims[auth.accountClaim]);
  if (!accountId) throw unauthorized(`The token has no "${auth.accountClaim}" claim to identify the billing account.`);
  if (accountId.length > MAX_ACCOUNT_ID_LENGTH) {
    throw invalidRequest(
      'account_claim_too_long',
      `The token's "${auth.accountClaim}" claim is ${accountId.length} characters long; billing account ids may have at most ${MAX_ACCOUNT_ID_LENGTH}.`,
    );
  }
  return { accountId, role: claimString(claims[auth.roleClaim]) };
}

function claimString(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

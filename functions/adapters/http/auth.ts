/**
 * The caller's identity, taken from the claims that the JWT authorizer (API Gateway in AWS, the dev
 * server locally) has already verified. The billing account and role come from configurable claims;
 * nothing here trusts the request body.
 */
import type { LinkoutConfig } from '#core/config';
import { unauthorized } from '#core/errors';
import type { HttpEvent } from './middleware';

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
  return { accountId, role: claimString(claims[auth.roleClaim]) };
}

function claimString(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

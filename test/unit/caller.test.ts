/**
 * The caller's identity comes from the verified claims the configuration names: the billing account
 * from `auth.accountClaim`, the role from `auth.roleClaim`. `sub` matters only when it is the account claim.
 */
import { callerFrom } from '#adapters/http/auth';
import { AppError } from '#core/errors';
import { buildApiGatewayEvent } from '#local/api-gateway-event';

const teamAuth = { issuer: 'https://issuer.example', audience: ['app'], accountClaim: 'team', roleClaim: 'role' };
const withClaims = (claims: Record<string, string | number>) => buildApiGatewayEvent({ method: 'GET', url: '/v1/entitlements', claims });

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('the caller was accepted');
}

describe('callerFrom', () => {
  it('takes the account and role from the configured claims', () => {
    expect(callerFrom(withClaims({ sub: 'user_1', team: 'team_7', role: 'owner' }), teamAuth)).toEqual({ accountId: 'team_7', role: 'owner' });
  });

  it('needs no sub when another claim names the account', () => {
    expect(callerFrom(withClaims({ team: 'team_7' }), teamAuth)).toEqual({ accountId: 'team_7', role: undefined });
  });

  it.each([
    ['the account claim is missing', { sub: 'user_1', role: 'owner' }],
    ['the account claim is empty', { sub: 'user_1', team: '' }],
  ])('refuses with 401 naming the account claim when %s', (_case, claims) => {
    const error = refusal(() => callerFrom(withClaims(claims), teamAuth));
    expect(error.kind).toBe('unauthorized');
    expect(error.message).toBe('The token has no "team" claim to identify the billing account.');
  });

  it.each([
    ['exactly the limit', 500, undefined],
    ['one character over', 501, 'account_claim_too_long'],
    ['a 3,000-character sub', 3000, 'account_claim_too_long'],
  ])('an account claim of %s: %s characters', (_case, length, code) => {
    const claims = { team: 'a'.repeat(length as number) };
    if (!code) {
      expect(callerFrom(withClaims(claims), teamAuth).accountId).toHaveLength(length as number);
      return;
    }
    const error = refusal(() => callerFrom(withClaims(claims), teamAuth));
    expect([error.kind, error.code]).toEqual(['invalid_request', code]);
    expect(error.message).toContain('at most 500');
  });

  it('refuses an event without verified claims', () => {
    expect(refusal(() => callerFrom(buildApiGatewayEvent({ method: 'GET', url: '/v1/entitlements' }), teamAuth)).kind).toBe('unauthorized');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt, SignJWT } from 'jose';
import { type DevJwtSettings, type DevSigningKey, flattenClaims, issueDevToken, loadOrCreateSigningKey, verifyAuthorization } from '#local/dev-jwt';

const settings: DevJwtSettings = {
  issuer: 'https://auth.lumenphotos.example',
  audience: ['lumen-photos-ios', 'lumen-photos-android'],
  accountClaim: 'org_id',
  roleClaim: 'role',
};

let stateDir: string;
let key: DevSigningKey;
let otherKey: DevSigningKey;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-jwt-'));
  key = await loadOrCreateSigningKey(path.join(stateDir, 'a'));
  otherKey = await loadOrCreateSigningKey(path.join(stateDir, 'b'));
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const now = () => Math.floor(Date.now() / 1000);

describe('dev JWT verification (as the HTTP API JWT authorizer)', () => {
  const cases: Array<[string, () => Promise<string | undefined>, string | null]> = [
    ['a valid token with the Bearer prefix', async () => `Bearer ${await issueDevToken(key, settings, { sub: 'u1' })}`, null],
    ['a valid token without the Bearer prefix', () => issueDevToken(key, settings, { sub: 'u1' }), null],
    ['a token for the second accepted audience', () => issueDevToken(key, settings, { sub: 'u1', claims: { aud: 'lumen-photos-android' } }), null],
    [
      'a token with client_id instead of aud',
      () => issueDevToken(key, settings, { sub: 'u1', claims: { aud: undefined, client_id: 'lumen-photos-ios' } }),
      null,
    ],
    ['no Authorization header', async () => undefined, 'no Authorization header'],
    ['an empty bearer token', async () => 'Bearer ', 'empty token'],
    ['garbage', async () => 'Bearer not.a.jwt', 'malformed'],
    ['an expired token', () => issueDevToken(key, settings, { sub: 'u1', claims: { iat: now() - 7200, nbf: now() - 7200, exp: now() - 10 } }), 'expired'],
    ['a token not valid yet', () => issueDevToken(key, settings, { sub: 'u1', claims: { nbf: now() + 600 } }), 'nbf'],
    ['a token from another issuer', () => issueDevToken(key, settings, { sub: 'u1', claims: { iss: 'https://evil.example' } }), 'iss'],
    ['a token for another audience', () => issueDevToken(key, settings, { sub: 'u1', claims: { aud: 'someone-else' } }), 'audience'],
    ['a token signed by another key', () => issueDevToken(otherKey, settings, { sub: 'u1' }), 'signature'],
    [
      'a token without exp',
      () => new SignJWT({ sub: 'u1', iss: settings.issuer, aud: settings.audience[0] }).setProtectedHeader({ alg: 'RS256' }).sign(key.privateKey),
      'exp',
    ],
    [
      'an HS256 token',
      () =>
        new SignJWT({ sub: 'u1', iss: settings.issuer, aud: settings.audience[0], exp: now() + 60 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new Uint8Array(32)),
      'algorithm',
    ],
  ];

  it.each(cases)('%s', async (_name, makeHeader, rejection) => {
    const result = await verifyAuthorization(await makeHeader(), key, settings);
    if (rejection === null) {
      expect(result).toEqual({ ok: true, claims: expect.objectContaining({ sub: 'u1', iss: settings.issuer }) });
    } else {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toContain(rejection);
    }
  });
});

describe('issued tokens', () => {
  it('carry issuer, first audience, role and account in the configured claims', async () => {
    const token = await issueDevToken(key, settings, { sub: 'user_1', role: 'owner', account: 'acct_9', ttlSeconds: 120 });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({ iss: settings.issuer, aud: 'lumen-photos-ios', sub: 'user_1', role: 'owner', org_id: 'acct_9' });
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it('leave the account to sub when the account claim is sub', async () => {
    const payload = decodeJwt(await issueDevToken(key, { ...settings, accountClaim: 'sub' }, { sub: 'user_1', account: 'ignored' }));
    expect(payload.sub).toBe('user_1');
    expect(Object.values(payload)).not.toContain('ignored');
  });

  it('reach handlers as strings, arrays as API Gateway renders them', () => {
    expect(flattenClaims({ sub: 'u', exp: 17, admin: true, groups: ['a', 'b'], nested: { x: 1 } })).toEqual({
      sub: 'u',
      exp: '17',
      admin: 'true',
      groups: '[a b]',
      nested: '{"x":1}',
    });
  });
});

describe('signing key', () => {
  it('is persisted: a second load (another process, a restart) gets the same key', async () => {
    const again = await loadOrCreateSigningKey(path.join(stateDir, 'a'));
    expect(again.kid).toBe(key.kid);
    const token = await issueDevToken(again, settings, { sub: 'u1' });
    expect((await verifyAuthorization(token, key, settings)).ok).toBe(true);
  });

  it('is created once when several processes start together', async () => {
    const dir = path.join(stateDir, 'race');
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateSigningKey(dir)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
  });

  it('publishes only public parameters in its JWK', () => {
    expect(key.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: key.kid });
    expect(key.publicJwk).not.toHaveProperty('d');
  });
});

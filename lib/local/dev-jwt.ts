/**
 * The local stack's JWT issuer and verifier, standing in for the app's real identity provider and
 * the HTTP API's JWT authorizer.
 *
 * Key: an RS256 key pair (the algorithm family API Gateway's JWT authorizer accepts), generated once
 * and kept in `.linkout/dev-jwt-key.json` (gitignored). Persisting it rather than deriving it from a
 * constant means a token printed by `npm run token` keeps working across restarts of `npm start`,
 * while no signing key is ever committed. Both the token CLI and the server read the same file.
 *
 * Verification mirrors the authorizer: signature against the JWKS, `iss` equal to the configured
 * issuer, `aud` (or `client_id`) one of the configured audiences, `exp`/`nbf`/`iat` checked with no
 * leeway. Claims reach the handler flattened to strings, as API Gateway passes them.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, jwtVerify, type KeyLike, SignJWT } from 'jose';
import type { LinkoutConfig } from '#core/config';

const DEV_JWT_ALG = 'RS256';
const DEFAULT_STATE_DIR = path.resolve(__dirname, '../../.linkout');
const KEY_FILE = 'dev-jwt-key.json';

/** Where dev state (the signing key, a persistent database) lives: LINKOUT_STATE_DIR or `.linkout/`. */
export function stateDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.LINKOUT_STATE_DIR ? path.resolve(env.LINKOUT_STATE_DIR) : DEFAULT_STATE_DIR;
}

export interface DevJwtSettings {
  issuer: string;
  /** Every audience the authorizer accepts; tokens are issued for the first. */
  audience: string[];
  accountClaim: string;
  roleClaim: string;
}

/** Issuer and audience come from configuration so handlers see what production would send; LINKOUT_DEV_ISSUER overrides the issuer. */
export function devJwtSettings(config: LinkoutConfig, env: NodeJS.ProcessEnv = process.env): DevJwtSettings {
  return {
    issuer: env.LINKOUT_DEV_ISSUER || config.auth.issuer,
    audience: config.auth.audience,
    accountClaim: config.auth.accountClaim,
    roleClaim: config.auth.roleClaim,
  };
}

interface StoredKey {
  kid: string;
  alg: typeof DEV_JWT_ALG;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface DevSigningKey {
  kid: string;
  privateKey: KeyLike | Uint8Array;
  publicKey: KeyLike | Uint8Array;
  publicJwk: JWK;
}

/**
 * Reads the signing key from the state directory, creating it on first use. Creation is atomic
 * (write a temporary file, then hard-link it into place), so a token CLI and a server starting at
 * the same moment end up with the same key.
 */
export async function loadOrCreateSigningKey(stateDir: string = stateDirFromEnv()): Promise<DevSigningKey> {
  const file = path.join(stateDir, KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(stateDir, { recursive: true });
    const { privateKey, publicKey } = await generateKeyPair(DEV_JWT_ALG, { extractable: true });
    const kid = `linkout-dev-${randomUUID().slice(0, 8)}`;
    const stored: StoredKey = { kid, alg: DEV_JWT_ALG, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
    const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temporary, JSON.stringify(stored, null, 2), { mode: 0o600 });
    try {
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
  }
  let stored: StoredKey;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
  } catch (error) {
    throw new Error(`The dev JWT key ${file} is unreadable (${(error as Error).message}); delete it and restart to create a new one.`);
  }
  return {
    kid: stored.kid,
    privateKey: await importJWK(stored.privateJwk, DEV_JWT_ALG),
    publicKey: await importJWK(stored.publicJwk, DEV_JWT_ALG),
    publicJwk: { ...stored.publicJwk, kid: stored.kid, alg: DEV_JWT_ALG, use: 'sig' },
  };
}

export interface TokenRequest {
  sub: string;
  role?: string;
  /** Billing account id, put in the configured account claim (ignored when that claim is `sub`). */
  account?: string;
  ttlSeconds?: number;
  /** Extra claims for tests (e.g. a past `exp`). They win over the computed ones. */
  claims?: JWTPayload;
}

export async function issueDevToken(key: DevSigningKey, settings: DevJwtSettings, request: TokenRequest): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = { token_use: 'access' };
  if (request.role !== undefined) payload[settings.roleClaim] = request.role;
  if (request.account !== undefined && settings.accountClaim !== 'sub') payload[settings.accountClaim] = request.account;
  const ttl = request.ttlSeconds ?? 3600;
  return new SignJWT({
    iss: settings.issuer,
    aud: settings.audience[0],
    sub: request.sub,
    iat: now,
    nbf: now,
    exp: now + ttl,
    jti: randomUUID(),
    ...payload,
    ...request.claims,
  })
    .setProtectedHeader({ alg: DEV_JWT_ALG, kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

export type Claims = Record<string, string>;
export type VerifyResult = { ok: true; claims: Claims } | { ok: false; reason: string };

/**
 * Checks an Authorization header the way the HTTP API JWT authorizer does. The reason is for the
 * `www-authenticate` header and the server log; the response body stays API Gateway's plain 401.
 */
export async function verifyAuthorization(authorization: string | undefined, key: DevSigningKey, settings: DevJwtSettings): Promise<VerifyResult> {
  if (!authorization) return { ok: false, reason: 'no Authorization header' };
  // The authorizer strips an optional "Bearer " prefix from the identity source.
  const token = authorization.replace(/^Bearer\s+/i, '').trim();
  if (!token) return { ok: false, reason: 'empty token' };
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [DEV_JWT_ALG],
      issuer: settings.issuer,
      clockTolerance: 0,
    });
    // API Gateway accepts a token whose `aud` or, failing that, `client_id` matches an audience.
    const audiences = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    const candidates = audiences.length > 0 ? audiences : typeof payload.client_id === 'string' ? [payload.client_id] : [];
    if (!candidates.some((aud) => settings.audience.includes(aud))) return { ok: false, reason: 'the token audience is not accepted' };
    if (payload.exp === undefined) return { ok: false, reason: 'the token has no exp claim' };
    return { ok: true, claims: flattenClaims(payload) };
  } catch (error) {
    return { ok: false, reason: describeJoseError(error) };
  }
}

/** API Gateway hands claims to Lambda as strings; arrays appear as "[a b]". */
export function flattenClaims(payload: JWTPayload): Claims {
  const claims: Claims = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) claims[name] = `[${value.join(' ')}]`;
    else if (typeof value === 'object') claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
}

function describeJoseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is invalid';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `the token ${(error as { claim?: string }).claim ?? ''} claim is invalid`.replace('  ', ' ');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token algorithm is not accepted';
    default:
      return 'the token is malformed';
  }
}

/** The JSON Web Key Set the server publishes at /.well-known/jwks.json. */
export function jwks(key: DevSigningKey): { keys: JWK[] } {
  return { keys: [key.publicJwk] };
}

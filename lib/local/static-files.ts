/**
 * Files the local stack serves outside the API routes: the universal-link site (the same files the
 * CDK stack uploads), the dev issuer's JWKS, and any extra static routes.
 */
import type { LinkoutConfig } from '#core/config';
import { buildSiteFiles, SITE_CONTENT_SECURITY_POLICY } from '#core/site';
import { OPENAPI_PATH, openApiDocument } from '#openapi';

export interface StaticFile {
  contentType: string;
  body: string | Buffer;
  cacheControl?: string;
  /** Extra response headers (the site's security headers, as the CDN adds them). */
  headers?: Record<string, string>;
}

/** URL path -> file. */
export type StaticRoutes = Map<string, StaticFile>;

/**
 * Extra static routes of the local stack, keyed by URL path (e.g. '/openapi.json'). Add a file here
 * to have `npm start` serve it; the universal-link site files come from functions/core/site.ts.
 */
function extraStaticRoutes(_config: LinkoutConfig): Record<string, StaticFile> {
  return {
    // The mobile API's OpenAPI document, for client generators (swift-openapi-generator).
    [OPENAPI_PATH]: { contentType: 'application/json', body: JSON.stringify(openApiDocument, null, 2), cacheControl: 'no-cache' },
  };
}

export function siteStaticRoutes(config: LinkoutConfig, extra: Record<string, StaticFile> = {}): StaticRoutes {
  const routes: StaticRoutes = new Map();
  for (const file of buildSiteFiles(config)) {
    routes.set(`/${file.key}`, {
      contentType: file.contentType,
      body: file.body,
      cacheControl: file.cacheControl,
      headers: { 'content-security-policy': SITE_CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff' },
    });
  }
  for (const [urlPath, file] of Object.entries({ ...extraStaticRoutes(config), ...extra })) routes.set(urlPath, file);
  return routes;
}

/**
 * The files of the universal-link site, built from configuration: the apple-app-site-association
 * (AASA) document, Android's assetlinks.json (when an Android app is configured) and the fallback
 * pages shown when a link does not open the app.
 * The CDK stack uploads exactly these files and the local dev server serves them, so both agree.
 * Pure: no I/O; the page templates come in as strings.
 */
import { fallbackPageTemplate } from '#static/templates';
import type { AndroidApp, LinkoutConfig } from './config';

export interface SiteFile {
  /** S3 key, no leading slash; the URL path is `/` + key. */
  key: string;
  contentType: string;
  body: string;
  cacheControl: string;
}

/** Apple refuses AASA documents larger than this (uncompressed). */
export const AASA_MAX_BYTES = 128 * 1024;

export const AASA_KEYS = ['.well-known/apple-app-site-association', 'apple-app-site-association'] as const;

/** Android's verifier fetches only this location (over HTTPS, no redirect, application/json). */
export const ASSET_LINKS_KEY = '.well-known/assetlinks.json';

/**
 * Content-Security-Policy for the site (the CDN's response headers policy, the local server): nothing
 * but the fallback pages' own inline script and style, allowed by hash. A test recomputes the hashes,
 * so editing static/templates.ts without updating them fails.
 */
export const FALLBACK_SCRIPT_SHA256 = 'rwTTt7M3+KUNbeTKb5CP3hw4mLpggP6KvK8Snr1QxsU=';
export const FALLBACK_STYLE_SHA256 = 'aDbRV2vdp2iJw1tLn87J/Krv/IKGaI+l7srz70Y5MFM=';
export const SITE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'sha256-${FALLBACK_SCRIPT_SHA256}'`,
  `style-src 'sha256-${FALLBACK_STYLE_SHA256}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Apple's CDN and Android's verifier re-fetch on their own schedule; a short TTL keeps our CDN from adding to the delay.
const ASSOCIATION_CACHE_CONTROL = 'public, max-age=3600';
const PAGE_CACHE_CONTROL = 'public, max-age=300';

interface FallbackPage {
  path: '/portal_redirect' | '/checkout_redirect';
  comment: string;
  heading: string;
  message: (appName: string) => string;
}

const FALLBACK_PAGES: readonly FallbackPage[] = [
  {
    path: '/portal_redirect',
    comment: 'Return from the Stripe customer portal',
    heading: 'You are all set',
    message: (app) => `Your subscription changes are saved. Return to ${app} to continue.`,
  },
  {
    path: '/checkout_redirect',
    comment: 'Return from a Stripe checkout',
    heading: 'Thank you',
    message: (app) => `Your purchase is complete. Return to ${app} to continue.`,
  },
];

/**
 * The URL of a path on the universal-link site, where Stripe sends customers back to: on
 * `app.siteUrl` when set (the local stack), else on https://<universalLinkDomain>.
 */
export function siteUrl(app: Pick<LinkoutConfig['app'], 'universalLinkDomain' | 'siteUrl'>, path: string): string {
  const origin = app.siteUrl ? app.siteUrl.replace(/\/+$/, '') : `https://${app.universalLinkDomain}`;
  return `${origin}${path}`;
}

export function buildSiteFiles(config: LinkoutConfig): SiteFile[] {
  const aasa = JSON.stringify(buildAppleAppSiteAssociation(config), null, 2);
  const size = new TextEncoder().encode(aasa).length;
  if (size > AASA_MAX_BYTES) {
    throw new Error(`apple-app-site-association is ${size} bytes; Apple accepts at most ${AASA_MAX_BYTES}. Reduce the universal-link paths.`);
  }
  const aasaFiles = AASA_KEYS.map((key) => associationFile(key, aasa));
  const androidFiles = config.app.android ? [associationFile(ASSET_LINKS_KEY, JSON.stringify(buildAssetLinks(config.app.android), null, 2))] : [];
  const pages = FALLBACK_PAGES.map((page) => ({
    key: page.path.slice(1),
    contentType: 'text/html; charset=utf-8',
    body: renderFallbackPage(config, page),
    cacheControl: PAGE_CACHE_CONTROL,
  }));
  return [...aasaFiles, ...androidFiles, ...pages];
}

function associationFile(key: string, body: string): SiteFile {
  return { key, contentType: 'application/json', body, cacheControl: ASSOCIATION_CACHE_CONTROL };
}

interface AasaComponent {
  '/': string;
  comment?: string;
}

export interface AppleAppSiteAssociation {
  applinks: { details: Array<{ appIDs: string[]; components: AasaComponent[] }> };
  webcredentials: { apps: string[] };
}

/** The modern (iOS 13+) AASA format: path components per app id. */
export function buildAppleAppSiteAssociation(config: LinkoutConfig): AppleAppSiteAssociation {
  const appId = `${config.app.teamId}.${config.app.bundleId}`;
  const components: AasaComponent[] = FALLBACK_PAGES.map((page) => ({ '/': `${page.path}*`, comment: page.comment }));
  const extraPaths = [
    ...config.app.universalLinkPaths.map((path) => ({ path, comment: 'Universal link into the app' })),
    ...config.portal.returnPaths.map((path) => ({ path, comment: 'Portal return path' })),
    // Checkout returns to <path>/success and <path>/cancel.
    ...config.checkout.returnPaths.map((path) => ({ path: `${path}/*`, comment: 'Checkout return path' })),
  ];
  for (const { path, comment } of extraPaths) {
    if (!components.some((component) => matchesPattern(component['/'], path))) components.push({ '/': path, comment });
  }
  return {
    applinks: { details: [{ appIDs: [appId], components }] },
    webcredentials: { apps: [appId] },
  };
}

interface AssetLinksStatement {
  relation: string[];
  target: { namespace: 'android_app'; package_name: string; sha256_cert_fingerprints: string[] };
}

/**
 * Digital Asset Links: one statement letting the app handle every URL of this domain. The app's
 * intent filters choose which paths it opens (the same /portal_redirect and /checkout_redirect).
 */
export function buildAssetLinks(android: AndroidApp): AssetLinksStatement[] {
  return [
    {
      relation: ['delegate_permission/common.handle_all_urls'],
      target: { namespace: 'android_app', package_name: android.packageName, sha256_cert_fingerprints: android.sha256CertFingerprints },
    },
  ];
}

/** Whether a path is already covered by a component pattern (exact or trailing `*`), to avoid duplicates. */
function matchesPattern(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path;
}

function renderFallbackPage(config: LinkoutConfig, page: FallbackPage): string {
  const appName = config.app.name;
  const values: Record<string, string> = {
    title: appName,
    heading: page.heading,
    message: page.message(appName),
    appName,
    // e.g. lumenphotos://portal_redirect; the page script appends the query string it was opened with.
    appUrl: `${config.app.urlScheme}://${page.path.slice(1)}`,
  };
  return fallbackPageTemplate.replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`fallback page template uses an unknown placeholder {{${name}}}`);
    return escapeHtml(value);
  });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

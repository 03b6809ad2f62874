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
 * but the fallback pages' own inline script and style, allowed by hash, and requests to the site's own
 * origin only (the page script's purchase refresh, `/v1/*` on the same domain). A test recomputes the
 * hashes, so editing static/templates.ts without updating them fails.
 */
export const FALLBACK_SCRIPT_SHA256 = 'OMOTA54iCx9I5RMywgAhKA/AZFbKLjOiRkuHWL+JYOg=';
export const FALLBACK_STYLE_SHA256 = 'YRUNzIO1aZgZ4FqzJ4Pw6MSw0ZAFcNKFr//ml7qt2mw=';
export const SITE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'sha256-${FALLBACK_SCRIPT_SHA256}'`,
  `style-src 'sha256-${FALLBACK_STYLE_SHA256}'`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Apple's CDN and Android's verifier re-fetch on their own schedule; a short TTL keeps our CDN from adding to the delay.
const ASSOCIATION_CACHE_CONTROL = 'public, max-age=3600';
const PAGE_CACHE_CONTROL = 'public, max-age=300';

interface FallbackPage {
  /** URL path; the S3 key is the path without its leading slash. */
  path: string;
  heading: string;
  message: (appName: string) => string;
}

/** The pages at the universal-link paths themselves; the AASA routes `<path>*` to the app. */
const ROOT_PAGES: readonly (FallbackPage & { path: '/portal_redirect' | '/checkout_redirect'; comment: string })[] = [
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
 * The pages Stripe sends a buyer back to under each checkout return path: Checkout's success
 * (`?session_id=`) and cancel URLs, and the Amazon Pay SetupIntent's return URL (`?setup_intent=`,
 * `redirect_status=`). The page script shows the purchase's status on success and return.
 */
const CHECKOUT_RETURN_PAGES: readonly (Omit<FallbackPage, 'path'> & { suffix: string })[] = [
  { suffix: '/success', heading: 'Thank you', message: (app) => `Return to ${app} to start using your subscription.` },
  { suffix: '/cancel', heading: 'No purchase was made', message: (app) => `You have not been charged. Return to ${app} to continue.` },
  { suffix: '/return', heading: 'Thank you', message: (app) => `Return to ${app} to see your subscription.` },
];

function fallbackPages(config: LinkoutConfig): FallbackPage[] {
  const returnPaths = [...new Set(config.checkout.returnPaths)];
  return [...ROOT_PAGES, ...returnPaths.flatMap((path) => CHECKOUT_RETURN_PAGES.map(({ suffix, ...page }) => ({ ...page, path: `${path}${suffix}` })))];
}

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
  const pages = fallbackPages(config).map((page) => ({
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
  const components: AasaComponent[] = ROOT_PAGES.map((page) => ({ '/': `${page.path}*`, comment: page.comment }));
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
    // e.g. lumenphotos://portal_redirect or lumenphotos://checkout_redirect/success; the page script
    // appends the query string it was opened with.
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

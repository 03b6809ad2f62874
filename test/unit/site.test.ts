import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '#adapters/config';
import type { LinkoutConfig } from '#core/config';
import { parseConfig } from '#core/config-validation';
import {
  AASA_MAX_BYTES,
  ASSET_LINKS_KEY,
  buildAppleAppSiteAssociation,
  buildAssetLinks,
  buildSiteFiles,
  escapeHtml,
  FALLBACK_SCRIPT_SHA256,
  FALLBACK_STYLE_SHA256,
  SITE_CONTENT_SECURITY_POLICY,
} from '#core/site';
import { fallbackPageScript, fallbackPageStyle } from '#static/templates';

const exampleRaw = () => JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
const configWith = (mutate: (raw: any) => void = () => {}): LinkoutConfig => {
  const raw = exampleRaw();
  mutate(raw);
  return parseConfig(raw);
};
const fileAt = (config: LinkoutConfig, key: string) => {
  const file = buildSiteFiles(config).find((f) => f.key === key);
  if (!file) throw new Error(`no site file ${key}`);
  return file;
};

describe('site files', () => {
  it('builds exactly the AASA (twice), assetlinks.json, the two fallback pages and the checkout return pages, keys without a leading slash', () => {
    expect(buildSiteFiles(configWith()).map((f) => f.key)).toEqual([
      '.well-known/apple-app-site-association',
      'apple-app-site-association',
      '.well-known/assetlinks.json',
      'portal_redirect',
      'checkout_redirect',
      'checkout_redirect/success',
      'checkout_redirect/cancel',
      'checkout_redirect/return',
    ]);
  });

  it('adds success, cancel and return pages for every checkout return path, once each', () => {
    const keys = buildSiteFiles(configWith((c) => (c.checkout.returnPaths = ['/checkout_redirect', '/buy/done', '/buy/done']))).map((f) => f.key);
    expect(keys.filter((key) => key.startsWith('buy/'))).toEqual(['buy/done/success', 'buy/done/cancel', 'buy/done/return']);
    expect(keys.filter((key) => key.startsWith('checkout_redirect/'))).toHaveLength(3);
  });

  it('leaves out assetlinks.json when no Android app is configured', () => {
    const keys = buildSiteFiles(configWith((c) => delete c.app.android)).map((f) => f.key);
    expect(keys).not.toContain(ASSET_LINKS_KEY);
    expect(keys).toHaveLength(7);
  });

  it.each([
    ['.well-known/apple-app-site-association', 'application/json'],
    ['apple-app-site-association', 'application/json'],
    ['.well-known/assetlinks.json', 'application/json'],
    ['portal_redirect', 'text/html; charset=utf-8'],
    ['checkout_redirect', 'text/html; charset=utf-8'],
    ['checkout_redirect/success', 'text/html; charset=utf-8'],
    ['checkout_redirect/cancel', 'text/html; charset=utf-8'],
    ['checkout_redirect/return', 'text/html; charset=utf-8'],
  ])('%s is served as %s with a cache policy', (key, contentType) => {
    const file = fileAt(configWith(), key);
    expect(file.contentType).toBe(contentType);
    expect(file.cacheControl).toMatch(/max-age=\d+/);
    expect(file.body.length).toBeGreaterThan(0);
  });

  it('serves the same AASA document at both locations', () => {
    const config = configWith();
    expect(fileAt(config, 'apple-app-site-association').body).toBe(fileAt(config, '.well-known/apple-app-site-association').body);
  });
});

describe('apple-app-site-association', () => {
  it('uses the modern format with the team-qualified app id and the fallback paths', () => {
    const aasa = JSON.parse(fileAt(configWith(), 'apple-app-site-association').body);
    expect(aasa).toEqual({
      applinks: {
        details: [
          {
            appIDs: ['A1B2C3D4E5.com.lumenphotos.app'],
            components: [
              { '/': '/portal_redirect*', comment: expect.any(String) },
              { '/': '/checkout_redirect*', comment: expect.any(String) },
            ],
          },
        ],
      },
      webcredentials: { apps: ['A1B2C3D4E5.com.lumenphotos.app'] },
    });
  });

  it.each([
    ['extra universal-link paths are added', (c: any) => (c.app.universalLinkPaths = ['/open', '/share/photo']), ['/open', '/share/photo']],
    ['extra return paths are added', (c: any) => (c.portal.returnPaths = ['/portal_redirect', '/billing/done']), ['/billing/done']],
    ['checkout return paths cover their success and cancel pages', (c: any) => (c.checkout.returnPaths = ['/checkout_redirect', '/buy/done']), ['/buy/done/*']],
    ['a path under a wildcard component is not repeated', (c: any) => (c.app.universalLinkPaths = ['/portal_redirect/done']), []],
    [
      'the same path from both lists appears once',
      (c: any) => {
        c.app.universalLinkPaths = ['/done'];
        c.portal.returnPaths = ['/done'];
      },
      ['/done'],
    ],
  ])('%s', (_name, mutate, expectedExtra) => {
    const components = buildAppleAppSiteAssociation(configWith(mutate)).applinks.details[0]!.components.map((c) => c['/']);
    expect(components).toEqual(['/portal_redirect*', '/checkout_redirect*', ...expectedExtra]);
  });

  it('refuses to build a document Apple would reject for its size', () => {
    const manyPaths = Array.from({ length: 6000 }, (_, i) => `/deep/link/number/${i}/with/a/long/path`);
    expect(() => buildSiteFiles(configWith((c) => (c.app.universalLinkPaths = manyPaths)))).toThrow(/at most 131072/);
    expect(AASA_MAX_BYTES).toBe(131072);
  });
});

describe('assetlinks.json', () => {
  const FINGERPRINT = '14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5';
  const PLAY_FINGERPRINT = FINGERPRINT.replaceAll('E', 'F');

  it('holds one statement delegating all URLs to the configured package and certificate', () => {
    expect(JSON.parse(fileAt(configWith(), ASSET_LINKS_KEY).body)).toEqual([
      {
        relation: ['delegate_permission/common.handle_all_urls'],
        target: { namespace: 'android_app', package_name: 'com.lumenphotos.app', sha256_cert_fingerprints: [FINGERPRINT] },
      },
    ]);
  });

  it.each([
    ['one fingerprint', { packageName: 'com.lumenphotos.app', sha256CertFingerprints: [FINGERPRINT] }],
    [
      'an upload and a Play App Signing fingerprint, in order',
      { packageName: 'com.lumenphotos.beta', sha256CertFingerprints: [FINGERPRINT, PLAY_FINGERPRINT] },
    ],
  ])('names the package and lists every fingerprint: %s', (_name, android) => {
    const [statement, ...others] = buildAssetLinks(android);
    expect(others).toEqual([]);
    expect(statement!.target).toEqual({
      namespace: 'android_app',
      package_name: android.packageName,
      sha256_cert_fingerprints: android.sha256CertFingerprints,
    });
  });

  it('serves the document generated from configuration', () => {
    const config = configWith((c) => (c.app.android.packageName = 'com.lumenphotos.other'));
    expect(JSON.parse(fileAt(config, ASSET_LINKS_KEY).body)).toEqual(buildAssetLinks(config.app.android!));
    expect(fileAt(config, ASSET_LINKS_KEY).body).toContain('"com.lumenphotos.other"');
  });
});

describe('fallback pages', () => {
  it.each([
    ['portal_redirect', 'lumenphotos://portal_redirect'],
    ['checkout_redirect', 'lumenphotos://checkout_redirect'],
    ['checkout_redirect/success', 'lumenphotos://checkout_redirect/success'],
    ['checkout_redirect/cancel', 'lumenphotos://checkout_redirect/cancel'],
    ['checkout_redirect/return', 'lumenphotos://checkout_redirect/return'],
  ])('%s links to %s and names the app on its button', (key, appUrl) => {
    const html = fileAt(configWith(), key).body;
    expect(html).toContain(`href="${appUrl}"`);
    expect(html).toContain('>Open Lumen Photos</a>');
    // The query string the page was opened with is passed on to the app.
    expect(html).toContain('location.search');
    expect(html).not.toMatch(/\{\{\w+\}\}/);
  });

  it.each([
    ['checkout_redirect/success', 'Thank you', 'Return to Lumen Photos to start using your subscription.'],
    ['checkout_redirect/cancel', 'No purchase was made', 'You have not been charged. Return to Lumen Photos to continue.'],
    ['checkout_redirect/return', 'Thank you', 'Return to Lumen Photos to see your subscription.'],
  ])('%s says "%s" before its script runs', (key, heading, message) => {
    const html = fileAt(configWith(), key).body;
    expect(html).toContain(`<h1>${heading}</h1>`);
    expect(html).toContain(`<p>${message}</p>`);
    // The status the script fills in is empty and hidden until it knows something (and stays so without JavaScript).
    expect(html).toMatch(/<p class="status" id="purchase-status" data-testid="purchase-status" role="status" aria-live="polite" hidden><\/p>/);
  });

  it('the page script follows the purchase on its own origin, with no credentials, storage or markup insertion', () => {
    expect(fallbackPageScript).toContain("fetch('/v1/purchases/' + encodeURIComponent(id) + '/refresh', { method: 'POST', credentials: 'omit'");
    expect(fallbackPageScript).toContain("query.get('session_id') || query.get('setup_intent')");
    expect(fallbackPageScript).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|localStorage|sessionStorage|document\.cookie|Authorization|https?:/i,
    );
    expect(fallbackPageScript).toContain('location.replace(link.href)');
  });

  it('escapes the app name so configuration cannot inject markup', () => {
    const html = fileAt(
      configWith((c) => (c.app.name = 'Evil <script>alert("x")</script> & Co')),
      'portal_redirect',
    ).body;
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('Open Evil &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; Co</a>');
  });

  it.each([
    ['&', '&#38;'],
    ['<>', '&#60;&#62;'],
    [`"'`, '&#34;&#39;'],
    ['plain', 'plain'],
  ])('escapeHtml(%j) -> %j', (input, output) => {
    expect(escapeHtml(input)).toBe(output);
  });
});

describe('content security policy', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('base64');

  it.each([
    ['script', fallbackPageScript, FALLBACK_SCRIPT_SHA256],
    ['style', fallbackPageStyle, FALLBACK_STYLE_SHA256],
  ])('allows exactly the fallback page %s by its hash', (_kind, text, hash) => {
    expect(sha256(text)).toBe(hash);
    expect(SITE_CONTENT_SECURITY_POLICY).toContain(`'sha256-${hash}'`);
  });

  it.each(['portal_redirect', 'checkout_redirect', 'checkout_redirect/success', 'checkout_redirect/cancel', 'checkout_redirect/return'])(
    'covers every inline script and style of %s',
    (key) => {
      const html = fileAt(configWith(), key).body;
      const inline = [...html.matchAll(/<(script|style)>([\s\S]*?)<\/\1>/g)].map((m) => sha256(m[2]!));
      expect(inline.sort()).toEqual([FALLBACK_SCRIPT_SHA256, FALLBACK_STYLE_SHA256].sort());
      expect(html).not.toMatch(/ on\w+=/);
    },
  );

  it('allows nothing else: requests only to the own origin (the purchase refresh), no forms, frames or base', () => {
    expect(SITE_CONTENT_SECURITY_POLICY.split('; ')).toEqual([
      "default-src 'none'",
      `script-src 'sha256-${FALLBACK_SCRIPT_SHA256}'`,
      `style-src 'sha256-${FALLBACK_STYLE_SHA256}'`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
  });
});

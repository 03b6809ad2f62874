/**
 * The purchase journey of issue 10 in real Chromium against the local stack: a new account's owner
 * starts Checkout, pays on the emulator's hosted page, lands on the stack's own
 * /checkout_redirect/success page, whose script settles the purchase through the capability refresh
 * while the webhooks are still held back; the app's refresh then shows the entitlements, and the
 * portal manages the subscription and returns to /portal_redirect. Also: cancelling Checkout, and a
 * member who may not buy.
 *
 * The second part runs the fallback page script in Chromium with the API stubbed (page.route), for
 * the answers the local stack does not produce on demand: a failure reason, 429 with Retry-After, an
 * unknown purchase.
 */

import { readFileSync } from 'node:fs';
import { type Browser, chromium, type Page, type Route } from 'playwright-core';
import { DEFAULT_CONFIG_FILE } from '#adapters/config';
import { parseConfig } from '#core/config-validation';
import { buildSiteFiles, SITE_CONTENT_SECURITY_POLICY } from '#core/site';
import { usePortalStack } from './portal-stack';

const PRICE_LOOKUP_KEY = 'stock_photos_pro_monthly';

function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

describe('purchase journey in Chromium (local stack)', () => {
  const stack = usePortalStack();
  let browser: Browser;
  let siteUrl: string;

  beforeAll(async () => {
    browser = await launchChromium();
    siteUrl = stack.stack.url;
  });
  afterAll(async () => {
    await browser?.close();
    // Let the other tests of this file see webhooks again, whatever happened.
    stack.stack?.emulator?.setDelivery({});
  });

  /** POST /v1/entitlements/refresh as the app does after the universal link, waiting out the per-account bound once. */
  async function appRefresh(token: string, purchaseId: string) {
    let reply = await stack.call('POST', '/v1/entitlements/refresh', token, { purchaseId });
    if (reply.status === 429) {
      const seconds = Number(reply.headers.get('retry-after'));
      expect(seconds).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      reply = await stack.call('POST', '/v1/entitlements/refresh', token, { purchaseId });
    }
    return reply;
  }

  /** Opens the Checkout URL and waits for the navigation back to the stack's site after `testId` is clicked. */
  async function checkoutAndReturn(url: string, testId: 'pay-card' | 'cancel-checkout', returnPrefix: string): Promise<Page> {
    const page = await browser.newPage();
    expect((await page.goto(url))?.status()).toBe(200);
    await Promise.all([page.waitForURL((landed) => landed.href.startsWith(returnPrefix), { waitUntil: 'commit' }), page.getByTestId(testId).click()]);
    return page;
  }

  it('an owner buys with Checkout, the success page settles the purchase before any webhook, the app sees the entitlements and manages them in the portal', async () => {
    const emulator = stack.stack.emulator!;
    const owner = await stack.token('team-journey', 'owner', 'olivia');

    // A new account: no customer, no subscription.
    expect((await stack.call('GET', '/v1/entitlements', owner)).body).toMatchObject({ active: false, subscriptions: [] });

    // Hold every webhook: the success page must get its answer from the refresh alone.
    emulator.setDelivery({ paused: true });
    const deliveredBefore = emulator.deliveries().length;

    const started = await stack.call('POST', '/v1/checkout-sessions', owner, { priceId: PRICE_LOOKUP_KEY });
    expect(started.status).toBe(201);
    const { id: sessionId, url } = started.body as { id: string; url: string };
    expect(sessionId).toMatch(/^cs_/);
    // The purchase is recorded as pending when the session is created.
    const recorded = await stack.call('GET', `/v1/purchases/${sessionId}`, owner);
    expect([recorded.status, recorded.body.status]).toEqual([200, 'pending']);

    // Pay on the emulator's hosted page; Stripe sends the browser to the stack's own success page.
    const successUrl = `${siteUrl}/checkout_redirect/success?session_id=${sessionId}`;
    const page = await browser.newPage();
    expect((await page.goto(url))?.status()).toBe(200);
    const refreshed = page.waitForResponse((response) => response.url() === `${siteUrl}/v1/purchases/${sessionId}/refresh`);
    const appLinkAttempt = page.waitForEvent('requestfailed', (request) => request.url().startsWith('lumenphotos:'));
    // A customer Linkout created has no email: Checkout asks for one, as Stripe's does.
    if ((await page.getByTestId('email').count()) > 0) await page.getByTestId('email').fill('olivia@example.com');
    const landed = page.waitForURL(successUrl, { waitUntil: 'commit' });
    // A refused payment stays on Checkout: fail with its message rather than a navigation timeout.
    const refused = page
      .getByTestId('payment-error')
      .waitFor()
      .then(async () => {
        throw new Error(`Checkout refused the payment: ${await page.getByTestId('payment-error').textContent()}`);
      });
    // Whichever of these is not awaited (the test failed first) must not surface in a later test.
    for (const pending of [refreshed, appLinkAttempt, landed, refused]) pending.catch(() => {});
    await page.getByTestId('pay-card').click();
    await Promise.race([landed, refused]);

    // The page asked the API (same origin, no token) and shows the completed purchase...
    const refreshResponse = await refreshed;
    expect(refreshResponse.request().method()).toBe('POST');
    expect(refreshResponse.request().headers().authorization).toBeUndefined();
    expect(refreshResponse.status()).toBe(200);
    expect(await refreshResponse.json()).toEqual({ id: sessionId, status: 'completed', reason: null });
    const status = page.getByTestId('purchase-status');
    await expect(status.getAttribute('data-status')).resolves.toBe('completed');
    await expect(status.textContent()).resolves.toBe('Your subscription is active.');
    // ...then opens the app with the query it was given (Chromium has no app for the scheme).
    expect((await appLinkAttempt).url()).toBe(`lumenphotos://checkout_redirect/success?session_id=${sessionId}`);
    await page.close();

    // No webhook has been delivered yet: the refresh alone fulfilled the purchase.
    expect(emulator.deliveries().slice(deliveredBefore)).toEqual([]);

    // The app's refresh on return, with the owner's token: the catalog's entitlements are active.
    const appRefreshed = await appRefresh(owner, sessionId);
    expect(appRefreshed.status).toBe(200);
    const entitlements = await stack.call('GET', '/v1/entitlements', owner);
    expect(entitlements.body.active).toBe(true);
    expect(entitlements.body.entitlements.map((entitlement: { key: string }) => entitlement.key).sort()).toEqual(['pro_editing', 'stock_photos']);
    const [subscription] = entitlements.body.subscriptions as Array<{ id: string; status: string; grantsAccess: boolean }>;
    expect(subscription).toMatchObject({ status: 'active', grantsAccess: true });
    expect((await stack.call('GET', `/v1/purchases/${sessionId}`, owner)).body).toMatchObject({ status: 'completed', subscriptionId: subscription!.id });

    // The held webhooks arrive late and change nothing: still one subscription, the same entitlements.
    emulator.setDelivery({});
    await emulator.flushDeliveries();
    const afterWebhooks = await stack.call('GET', '/v1/entitlements', owner);
    expect(afterWebhooks.body.subscriptions).toEqual([expect.objectContaining({ id: subscription!.id, grantsAccess: true })]);
    expect((await stack.stripe.subscriptions.list({ customer: entitlements.body.customerId })).data).toHaveLength(1);

    // Manage it in the portal, which returns to the stack's /portal_redirect.
    const portal = await stack.call('POST', '/v1/portal-sessions', owner);
    expect(portal.status).toBe(201);
    const portalPage = await browser.newPage();
    expect((await portalPage.goto(portal.body.url))?.status()).toBe(200);
    expect(await portalPage.locator(`[data-subscription-id="${subscription!.id}"]`).count()).toBe(1);
    const returnLink = portalPage.getByTestId('return-link');
    expect(await returnLink.getAttribute('href')).toBe(`${siteUrl}/portal_redirect`);
    const portalAppLink = portalPage.waitForEvent('requestfailed', (request) => request.url().startsWith('lumenphotos:'));
    await Promise.all([portalPage.waitForURL(`${siteUrl}/portal_redirect`, { waitUntil: 'commit' }), returnLink.click()]);
    // The portal page has no purchase to follow: it opens the app at once and shows no status.
    expect((await portalAppLink).url()).toBe('lumenphotos://portal_redirect');
    expect(await portalPage.getByTestId('purchase-status').isHidden()).toBe(true);
    await portalPage.close();
  }, 60_000);

  it('cancelling Checkout lands on the cancel page and starts no subscription', async () => {
    const owner = await stack.token('team-journey-cancel', 'owner');
    const started = await stack.call('POST', '/v1/checkout-sessions', owner, { priceId: PRICE_LOOKUP_KEY });
    expect(started.status).toBe(201);
    const page = await checkoutAndReturn(started.body.url, 'cancel-checkout', `${siteUrl}/checkout_redirect/cancel`);
    expect(page.url()).toBe(`${siteUrl}/checkout_redirect/cancel`);
    await expect(page.locator('h1').textContent()).resolves.toBe('No purchase was made');
    expect(await page.getByTestId('purchase-status').isHidden()).toBe(true);
    await page.close();

    await stack.stack.emulator!.flushDeliveries();
    const entitlements = await stack.call('GET', '/v1/entitlements', owner);
    expect(entitlements.body).toMatchObject({ active: false, subscriptions: [] });
    const [customer] = (await stack.stripe.customers.search({ query: "metadata['app_account_id']:'team-journey-cancel'" })).data;
    expect((await stack.stripe.subscriptions.list({ customer: customer!.id, status: 'all' })).data).toEqual([]);
  });

  it('a member may not buy', async () => {
    const member = await stack.token('team-journey', 'member', 'max');
    const refused = await stack.call('POST', '/v1/checkout-sessions', member, { priceId: PRICE_LOOKUP_KEY });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'purchase_not_allowed']);
  });
});

describe('fallback page script in Chromium (API stubbed)', () => {
  const ORIGIN = 'https://links.lumen.test';
  const config = parseConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')));
  const pages = new Map(buildSiteFiles(config).map((file) => [`/${file.key}`, file]));
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

  /**
   * Serves the generated site at ORIGIN with its CSP (as the CDN does) and answers the refresh with
   * `answers` in turn (the last one repeats); waits until the page opens the app link and returns the
   * page and the refresh requests seen. With `fakeClock` the page's timers run on Playwright's clock,
   * advanced here 5 s at a time, so that the 30-second limit takes no real time.
   */
  async function openSitePage(
    pathAndQuery: string,
    answers: Answer[],
    options: { fakeClock?: boolean } = {},
  ): Promise<{ page: Page; refreshes: Array<{ at: number; path: string }> }> {
    const page = await browser.newPage();
    if (options.fakeClock) await page.clock.install();
    const refreshes: Array<{ at: number; path: string }> = [];
    await page.route(`${ORIGIN}/**`, async (route: Route) => {
      const url = new URL(route.request().url());
      if (url.pathname.startsWith('/v1/')) {
        refreshes.push({ at: Date.now(), path: `${route.request().method()} ${url.pathname}` });
        const answer = answers[Math.min(refreshes.length - 1, answers.length - 1)]!;
        await route.fulfill({ status: answer.status, headers: answer.headers ?? {}, contentType: 'application/json', body: JSON.stringify(answer.body ?? {}) });
        return;
      }
      const file = pages.get(url.pathname);
      if (!file) return route.fulfill({ status: 404, body: '' });
      await route.fulfill({
        status: 200,
        contentType: file.contentType,
        headers: { 'content-security-policy': SITE_CONTENT_SECURITY_POLICY },
        body: file.body,
      });
    });
    const appLink = page.waitForEvent('requestfailed', (request) => request.url().startsWith('lumenphotos:'));
    await page.goto(`${ORIGIN}${pathAndQuery}`, { waitUntil: 'commit' });
    if (options.fakeClock) {
      let opened = false;
      void appLink.then(() => (opened = true));
      for (let step = 0; step < 12 && !opened; step++) await page.clock.runFor(5_000);
    }
    await appLink;
    return { page, refreshes };
  }

  async function shown(page: Page): Promise<[string | null, string | null]> {
    const status = page.getByTestId('purchase-status');
    return [await status.getAttribute('data-status'), await status.textContent()];
  }

  it('shows the failure reason from the API as text, never as markup', async () => {
    const message = 'The payment was not approved. <img src=x> Try again.';
    const { page, refreshes } = await openSitePage(
      '/checkout_redirect/return?setup_intent=seti_123&setup_intent_client_secret=seti_123_secret_x&redirect_status=failed',
      [{ status: 200, body: { id: 'seti_123', status: 'failed', reason: { code: 'authentication_failed', message } } }],
    );
    expect(refreshes.map((r) => r.path)).toEqual(['POST /v1/purchases/seti_123/refresh']);
    expect(await shown(page)).toEqual(['failed', message]);
    expect(await page.locator('#purchase-status img').count()).toBe(0);
    await page.close();
  });

  it('polls while pending and waits as long as Retry-After says before asking again', async () => {
    const { page, refreshes } = await openSitePage('/checkout_redirect/success?session_id=cs_test_pending', [
      { status: 200, body: { id: 'cs_test_pending', status: 'pending', reason: null } },
      { status: 429, headers: { 'retry-after': '3' }, body: { error: { code: 'rate_limited' } } },
      { status: 200, body: { id: 'cs_test_pending', status: 'completed', reason: null } },
    ]);
    expect(refreshes).toHaveLength(3);
    expect(refreshes[2]!.at - refreshes[1]!.at).toBeGreaterThanOrEqual(2900);
    expect(await shown(page)).toEqual(['completed', 'Your subscription is active.']);
    await page.close();
  }, 20_000);

  it('gives up after about 30 s of pending with a clear message, then opens the app', async () => {
    const { page, refreshes } = await openSitePage(
      '/checkout_redirect/success?session_id=cs_test_slow',
      [{ status: 200, body: { id: 'cs_test_slow', status: 'pending', reason: null } }],
      { fakeClock: true },
    );
    expect(refreshes.length).toBeGreaterThanOrEqual(3);
    const [state, text] = await shown(page);
    expect(state).toBe('pending');
    expect(text).toMatch(/still being confirmed/);
    // Having given up, it asks no more.
    const asked = refreshes.length;
    await page.clock.runFor(60_000);
    expect(refreshes).toHaveLength(asked);
    await page.close();
  }, 20_000);

  it.each([
    ['an unknown purchase (404)', '/checkout_redirect/success?session_id=cs_test_unknown', 404, 'unknown'],
    ['an expired Checkout', '/checkout_redirect/success?session_id=cs_test_expired', 200, 'expired'],
  ])('says so for %s and still opens the app', async (_name, pathAndQuery, status, expected) => {
    const body = status === 200 ? { id: 'cs_test_expired', status: 'expired', reason: null } : { error: { code: 'purchase_not_found' } };
    const { page, refreshes } = await openSitePage(pathAndQuery, [{ status, body }]);
    expect(refreshes).toHaveLength(1);
    const [state, text] = await shown(page);
    expect(state).toBe(expected);
    expect(text).toMatch(expected === 'unknown' ? /could not be checked/ : /expired/);
    await page.close();
  });

  it('asks nothing for a query without a purchase id, or with one that is not an id', async () => {
    for (const pathAndQuery of ['/checkout_redirect/cancel', '/checkout_redirect/success?session_id=../../v1/entitlements']) {
      const { page, refreshes } = await openSitePage(pathAndQuery, [{ status: 500 }]);
      expect(refreshes).toEqual([]);
      expect(await page.getByTestId('purchase-status').isHidden()).toBe(true);
      await page.close();
    }
  });
});

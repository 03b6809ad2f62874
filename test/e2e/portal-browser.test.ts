/**
 * The done-when of the portal work, in a real browser against the local stack: an owner and a member
 * of one billing account get portal pages with different capabilities; the owner's cancel deep link
 * lands on the cancel flow and returns to /portal_redirect on the local stack's own site; the
 * member's attempt at it is refused with 403.
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { usePortalStack } from './portal-stack';

const CAPABILITIES = ['cancel-subscription', 'switch-price', 'update-payment-method', 'invoice-history'] as const;

describe('hosted portal in Chromium (local stack)', () => {
  const portal = usePortalStack();
  let browser: Browser;
  let subscriptionId: string;
  let ownerToken: string;
  let memberToken: string;
  /** Locally, Stripe returns to the stack's own fallback page (app.siteUrl), not to the universal-link domain. */
  let returnUrl: string;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    returnUrl = `${portal.stack.url}/portal_redirect`;
    ({ subscriptionId } = await portal.subscribedAccount('team-lumen'));
    ownerToken = await portal.token('team-lumen', 'owner', 'alice');
    memberToken = await portal.token('team-lumen', 'member', 'bob');
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function openPortal(token: string, body?: unknown): Promise<{ page: Page; reply: { status: number; body: any } }> {
    const reply = await portal.call('POST', '/v1/portal-sessions', token, body);
    expect(reply.status).toBe(201);
    const page = await browser.newPage();
    const response = await page.goto(reply.body.url);
    expect(response?.status()).toBe(200);
    return { page, reply };
  }

  async function offered(page: Page): Promise<Record<string, boolean>> {
    const entries = await Promise.all(CAPABILITIES.map(async (id) => [id, (await page.getByTestId(id).count()) > 0] as const));
    return Object.fromEntries(entries);
  }

  it('done when: owner and member of one account get different portals; the owner cancels through a deep link, the member may not', async () => {
    // 1. The owner's portal offers cancel, switch plan, payment method and invoices.
    const ownerHome = await openPortal(ownerToken);
    expect(await offered(ownerHome.page)).toEqual({
      'cancel-subscription': true,
      'switch-price': true,
      'update-payment-method': true,
      'invoice-history': true,
    });
    expect(await ownerHome.page.getByTestId('return-link').getAttribute('href')).toBe(returnUrl);
    await ownerHome.page.close();

    // 2. The member's portal of the same account shows the same subscription, and invoices only.
    const memberHome = await openPortal(memberToken);
    expect(memberHome.reply.body.configuration).not.toBe(ownerHome.reply.body.configuration);
    expect(await offered(memberHome.page)).toEqual({
      'cancel-subscription': false,
      'switch-price': false,
      'update-payment-method': false,
      'invoice-history': true,
    });
    expect(await memberHome.page.locator(`[data-subscription-id="${subscriptionId}"]`).count()).toBe(1);
    await memberHome.page.close();

    // 3. The member's cancel deep link is refused.
    const refused = await portal.call('POST', '/v1/portal-sessions', memberToken, { flow: { type: 'subscription_cancel', subscriptionId } });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'flow_not_allowed']);

    // 4. The owner's cancel deep link lands on the cancel flow...
    const { page } = await openPortal(ownerToken, { flow: { type: 'subscription_cancel', subscriptionId } });
    expect(await page.locator('h1').textContent()).toBe('Cancel your subscription');
    expect(await offered(page)).toMatchObject({ 'cancel-subscription': true, 'switch-price': false, 'update-payment-method': false });

    // 5. ...and confirming returns to /portal_redirect on the stack's own site (a real domain's
    // universal link would open the app instead): the test asserts the browser's navigation
    // target, the redirect the portal answered the cancel with.
    const [returnRequest] = await Promise.all([
      page.waitForRequest((request) => request.isNavigationRequest() && request.url().startsWith(returnUrl)),
      page.getByTestId('cancel-subscription').click(),
    ]);
    expect(returnRequest.url()).toBe(returnUrl);
    const cancelPost = returnRequest.redirectedFrom();
    expect(cancelPost?.method()).toBe('POST');
    expect(cancelPost?.url()).toMatch(/\/p\/session\/\w+\/cancel$/);
    expect((await cancelPost!.response())?.status()).toBe(303);
    await page.close();

    // 6. The change went through Stripe and, via the webhook, into the entitlements the app refreshes.
    expect((await portal.stripe.subscriptions.retrieve(subscriptionId)).cancel_at_period_end).toBe(true);
    await portal.stack.emulator!.flushDeliveries();
    const entitlements = await portal.call('GET', '/v1/entitlements', memberToken);
    expect(entitlements.body.subscriptions).toEqual([expect.objectContaining({ id: subscriptionId, cancelAtPeriodEnd: true, grantsAccess: true })]);
    expect(entitlements.body.entitlements[0]).toMatchObject({ willRenew: false });
  });
  it("the owner's confirm-update deep link switches the plan and returns to the app", async () => {
    const { subscriptionId: upgrading } = await portal.subscribedAccount('team-upgrade');
    const [yearly] = (await portal.stripe.prices.list({ lookup_keys: ['stock_photos_yearly'] })).data;
    const token = await portal.token('team-upgrade', 'owner');
    const { page } = await openPortal(token, { flow: { type: 'subscription_update_confirm', subscriptionId: upgrading, priceId: yearly!.id } });
    expect(await page.getByTestId('update-confirmation').count()).toBe(1);
    const [returnRequest] = await Promise.all([
      page.waitForRequest((request) => request.isNavigationRequest() && request.url().startsWith(returnUrl)),
      page.getByTestId('switch-price').click(),
    ]);
    expect(returnRequest.url()).toBe(returnUrl);
    await page.close();
    const [item] = (await portal.stripe.subscriptions.retrieve(upgrading)).items.data;
    expect(item!.price.id).toBe(yearly!.id);
  });
});

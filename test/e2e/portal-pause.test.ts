/**
 * Pausing in the hosted portal, in Chromium against the local stack: an owner pauses for one of the
 * role's portal durations (through the `subscription_pause` deep link, and from the portal home),
 * returns to /portal_redirect, and the entitlements lose access once Stripe's webhook arrives; when
 * the emulator's clock passes the duration, Stripe resumes the subscription itself and access comes
 * back. A member's portal offers no pause and its deep link is refused.
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { usePortalStack } from './portal-stack';

describe('pausing in the hosted portal in Chromium (local stack)', () => {
  const portal = usePortalStack();
  let browser: Browser;
  /** Locally, Stripe returns to the stack's own fallback page (app.siteUrl), not to the universal-link domain. */
  let returnUrl: string;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    returnUrl = `${portal.stack.url}/portal_redirect`;
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function openPortal(token: string, body?: unknown): Promise<Page> {
    const reply = await portal.call('POST', '/v1/portal-sessions', token, body);
    expect(reply.status).toBe(201);
    const page = await browser.newPage();
    const response = await page.goto(reply.body.url);
    expect(response?.status()).toBe(200);
    return page;
  }

  /**
   * Picks a duration on the pause form, confirms, and goes back to the app: a deep link's flow
   * redirects there by itself (after_completion), the portal home shows a confirmation and the
   * customer follows the portal's return link.
   */
  async function pauseFor(page: Page, duration: string, deepLink: boolean): Promise<void> {
    const select = page.getByTestId('pause-duration');
    // The role's portalDurations (1 and 3 months in the example configuration), as the portal sync wrote them.
    const offered = await Promise.all((await select.locator('option').all()).map((option) => option.getAttribute('value')));
    expect(offered).toEqual(['month_1', 'month_3']);
    await select.selectOption(duration);
    const backToApp = page.waitForRequest((request) => request.isNavigationRequest() && request.url().startsWith(returnUrl));
    if (deepLink) {
      await page.getByTestId('pause-subscription').click();
    } else {
      await Promise.all([page.waitForURL(/\/pause$/), page.getByTestId('pause-subscription').click()]);
      expect(await page.getByTestId('confirmation').textContent()).toMatch(/^Your subscription is paused until /);
      await page.getByTestId('return-link').click();
    }
    const returnRequest = await backToApp;
    expect(returnRequest.url()).toBe(returnUrl);
    if (deepLink) {
      const pausePost = returnRequest.redirectedFrom();
      expect(pausePost?.method()).toBe('POST');
      expect(pausePost?.url()).toMatch(/\/p\/session\/\w+\/pause$/);
    }
    await page.close();
  }

  async function subscriptionView(token: string, subscriptionId: string) {
    await portal.stack.emulator!.flushDeliveries();
    const reply = await portal.call('GET', '/v1/entitlements', token);
    expect(reply.status).toBe(200);
    const view = reply.body.subscriptions.find((s: { id: string }) => s.id === subscriptionId);
    return { active: reply.body.active as boolean, ...view };
  }

  /** The emulator's test control: a paused subscription moves to its scheduled resumption (the clock jumps there). */
  async function passPauseDuration(subscriptionId: string): Promise<void> {
    const response = await fetch(`${portal.stack.stripeApiUrl}/_emulator/subscriptions/${subscriptionId}/advance_period`, { method: 'POST' });
    expect(response.status).toBe(200);
  }

  it.each([
    ['the subscription_pause deep link', true, 'month_1', 1],
    ['the portal home', false, 'month_3', 3],
  ] as const)(
    'an owner pauses through %s: access goes off, and comes back when Stripe resumes it after the duration',
    async (_case, deepLink, duration, months) => {
      const account = `team-pause-${deepLink ? 'link' : 'home'}`;
      const { subscriptionId } = await portal.subscribedAccount(account);
      const token = await portal.token(account, 'owner');
      expect(await subscriptionView(token, subscriptionId)).toMatchObject({ status: 'active', grantsAccess: true, active: true, pauseKind: null });

      const page = await openPortal(token, deepLink ? { flow: { type: 'subscription_pause', subscriptionId } } : undefined);
      if (deepLink) expect(await page.locator('h1').textContent()).toBe('Pause your subscription');
      await pauseFor(page, duration, deepLink);

      const paused = await portal.stripe.subscriptions.retrieve(subscriptionId);
      expect(paused.status).toBe('paused');
      // Stripe's clock (the emulator's, which an earlier case may have moved ahead), not this machine's.
      const pausedAt = paused.status_details!.paused.transitioned_at;
      const pausedView = await subscriptionView(token, subscriptionId);
      // The portal's pause is resumed by Stripe at the end of the chosen duration, not by Linkout's
      // resumer: nothing is scheduled, so there is no pausedUntil.
      expect(pausedView).toMatchObject({ status: 'paused', grantsAccess: false, active: false, pauseKind: 'subscription', pausedUntil: null });

      await passPauseDuration(subscriptionId);
      const resumed = await portal.stripe.subscriptions.retrieve(subscriptionId);
      expect(resumed.status).toBe('active');
      // Resumed about `months` later (the emulator clock jumped to the end of the duration).
      const resumedPeriodStart = resumed.items.data[0]!.current_period_start;
      const expectedResume = new Date(pausedAt * 1000);
      expectedResume.setUTCMonth(expectedResume.getUTCMonth() + months);
      expect(Math.abs(resumedPeriodStart - expectedResume.getTime() / 1000)).toBeLessThan(120);
      const eventTypes = (await portal.stripe.events.list({ limit: 100 })).data
        .filter((event) => (event.data.object as { id?: string }).id === subscriptionId)
        .map((event) => event.type);
      expect(eventTypes).toEqual(expect.arrayContaining(['customer.subscription.paused', 'customer.subscription.resumed']));
      const resumedView = await subscriptionView(token, subscriptionId);
      expect(resumedView).toMatchObject({ status: 'active', grantsAccess: true, active: true, pauseKind: null, pausedUntil: null });
    },
  );

  it("a member's portal offers no pause, and the member's pause deep link is 403", async () => {
    const { subscriptionId } = await portal.subscribedAccount('team-pause-member');
    const memberToken = await portal.token('team-pause-member', 'member');
    const page = await openPortal(memberToken);
    expect(await page.locator(`[data-subscription-id="${subscriptionId}"]`).count()).toBe(1);
    expect(await page.getByTestId('pause-subscription').count()).toBe(0);
    await page.close();

    const refused = await portal.call('POST', '/v1/portal-sessions', memberToken, { flow: { type: 'subscription_pause', subscriptionId } });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'flow_not_allowed']);
    expect((await portal.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');
  });

  it("the owner's portal home offers the pause (the control the member's lacks)", async () => {
    await portal.subscribedAccount('team-pause-owner-home');
    const page = await openPortal(await portal.token('team-pause-owner-home', 'owner'));
    expect(await page.getByTestId('pause-subscription').count()).toBe(1);
    await page.close();
  });
});

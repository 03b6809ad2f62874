/**
 * Collection-mode pausing end to end on the local stack (its own file: one local stack per test
 * module, as the handler modules are loaded once per module registry): the owner role pauses
 * payment collection (`pause_collection`, invoices voided) until `resumesAt`, in the app only.
 */
import { nowInUnixSeconds } from '#core/clock';
import { usePortalStack } from '../e2e/portal-stack';
import { contractProblems } from './portal-contract';

const DAY = 86_400;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

describe('collection mode end to end on the local stack', () => {
  // Owners pause payment collection (void the invoices), in the app only: the portal cannot pause this way.
  const portal = usePortalStack((config) => {
    const owner = config.portal.roles.owner!;
    const pause = { ...owner.pause!, mode: 'collection' as const, collectionBehavior: 'void' as const, portal: false };
    return { ...config, portal: { ...config.portal, roles: { ...config.portal.roles, owner: { ...owner, pause } } } };
  });

  it('owner pauses collection until resumesAt: access off at once and after the webhooks; resumes: access back', async () => {
    const { subscriptionId } = await portal.subscribedAccount('acct_e2e_collection');
    const owner = await portal.token('acct_e2e_collection', 'owner');
    const resumesAt = nowInUnixSeconds() + 14 * DAY;

    const paused = await portal.call('POST', `/v1/subscriptions/${subscriptionId}/pause`, owner, { resumesAt: iso(resumesAt) });
    expect(paused.status).toBe(200);
    const pausedView = {
      id: subscriptionId,
      status: 'active',
      grantsAccess: false,
      collectionPaused: true,
      pauseKind: 'collection',
      pausedUntil: iso(resumesAt),
    };
    expect(paused.body).toMatchObject({ active: false, entitlements: [], subscriptions: [pausedView] });
    expect((await portal.stripe.subscriptions.retrieve(subscriptionId)).pause_collection).toMatchObject({ behavior: 'void', resumes_at: resumesAt });
    expect(contractProblems('POST', '/v1/subscriptions/{id}/pause', paused)).toEqual([]);

    await portal.stack.emulator!.flushDeliveries();
    expect((await portal.call('GET', '/v1/entitlements', owner)).body).toMatchObject({ active: false, subscriptions: [pausedView] });

    const resumed = await portal.call('POST', `/v1/subscriptions/${subscriptionId}/resume`, owner);
    expect(resumed.status).toBe(200);
    const activeView = { id: subscriptionId, status: 'active', grantsAccess: true, collectionPaused: false, pauseKind: null, pausedUntil: null };
    expect(resumed.body).toMatchObject({ active: true, subscriptions: [activeView] });
    expect((await portal.stripe.subscriptions.retrieve(subscriptionId)).pause_collection).toBeNull();
    await portal.stack.emulator!.flushDeliveries();
    expect((await portal.call('GET', '/v1/entitlements', owner)).body).toMatchObject({ active: true, subscriptions: [activeView] });
  });
});

/**
 * The app's pause and resume (POST /v1/subscriptions/{id}/pause and /resume), per the caller's
 * role (config `portal.roles.<role>.pause`):
 *
 * - `subscription` mode: Stripe's pause (status `paused`, no access). Stripe's pause endpoint takes
 *   no resume time, so the pause's `resumesAt` goes to Linkout's ResumeSchedule (./resume-schedule.ts)
 *   and to the subscription's record (`scheduledResumeAt`), which the scheduled resumer honours;
 * - `collection` mode: `pause_collection` with the role's behaviour; `resumesAt` becomes
 *   `pause_collection.resumes_at` and Stripe itself resumes collection then.
 *
 * Both answer the caller's entitlements after writing Stripe's answer through the ordered path
 * (./read-snapshots.ts), so the app sees access go off (or come back) at once; the webhooks that
 * follow arrive as duplicates, stale or tie-resolved, and never undo it.
 *
 * Idempotent: pausing a subscription already paused this way (or resuming one that is not paused)
 * writes nothing in Stripe and answers the current state. Everything a request can get wrong is
 * refused before any write: role (403), bounds (400), ownership (404), state (409).
 */
import * as z from 'zod/mini';
import { type PauseKind, pauseKind } from './access';
import type { AccountLinks } from './accounts';
import type { ReadPosition, SubscriptionSnapshot, SubscriptionStatus } from './billing-events';
import type { LinkoutConfig, RolePause } from './config';
import { type EntitlementsResponse, entitlementsResponse, type StoredSubscription } from './entitlements';
import type { EntitlementStore } from './entitlements-sync';
import { AppError, forbidden, invalidRequest, notFound } from './errors';
import { addDuration, describeDuration } from './pause-policy';
import { resumeIdempotencyKey } from './pause-resumer';
import { portalRoleFor } from './portal-policy';
import { type ReadStart, readPosition, readStart, writeReadSnapshots } from './read-snapshots';
import { parseJsonBody } from './request-body';
import type { ResumeSchedule } from './resume-schedule';

export type CollectionBehavior = RolePause['collectionBehavior'];

/**
 * Port: the subscription calls of pausing (functions/adapters/stripe/pausable-subscriptions.ts).
 * Each write answers the subscription as Stripe returns it; the same idempotency key answers the
 * first call's result again.
 */
export interface PausableSubscriptions {
  /** The subscription as Stripe holds it now; undefined when Stripe does not know it. */
  retrieve(subscriptionId: string): Promise<SubscriptionSnapshot | undefined>;
  /** `pause_collection: {behavior, resumes_at}` (resumesAt in Unix seconds). */
  pauseCollection(subscriptionId: string, behavior: CollectionBehavior, resumesAt: number, idempotencyKey: string): Promise<SubscriptionSnapshot>;
  /** `pause_collection: ''`: collection resumes now. */
  clearPauseCollection(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot>;
  /** Stripe's pause: status `paused`. */
  pause(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot>;
  /** Stripe's resume of a `paused` subscription. */
  resume(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot>;
}

export interface PausingPorts {
  config: Pick<LinkoutConfig, 'access' | 'catalog' | 'portal'>;
  links: Pick<AccountLinks, 'customerForAccount'>;
  store: Pick<EntitlementStore, 'putSubscription' | 'putResolvedSubscription' | 'customerRecords' | 'setScheduledResume'>;
  subscriptions: PausableSubscriptions;
  schedule: Pick<ResumeSchedule, 'schedule' | 'cancel'>;
  /** Unix seconds. */
  now: () => number;
  /** A unique suffix for the written snapshots' event ids. */
  randomId?: () => string;
}

export interface PauseCaller {
  accountId: string;
  /** The role claim as sent (unknown roles get the least privileged role). */
  role: string | undefined;
}

/** The statuses Stripe cannot pause (and that grant nothing to pause anyway). */
const NOT_PAUSABLE_STATUSES: readonly SubscriptionStatus[] = ['canceled', 'incomplete', 'incomplete_expired', 'unpaid'];

/**
 * Requests racing within this many seconds share an idempotency key, so a double tap pauses once.
 * Short on purpose: a pause, resume and pause again by the same hand lie further apart.
 */
const IDEMPOTENCY_WINDOW_SECONDS = 10;

const SUBSCRIPTION_ID = /^sub_[A-Za-z0-9_]{1,250}$/;

export function parseSubscriptionId(raw: unknown): string {
  if (typeof raw !== 'string' || !SUBSCRIPTION_ID.test(raw)) {
    throw invalidRequest('invalid_subscription_id', 'The subscription id must be a Stripe subscription id (sub_...).');
  }
  return raw;
}

const PauseRequestSchema = z.strictObject({ resumesAt: z.optional(z.iso.datetime({ offset: true })) });

/** The optional body of the pause: nothing, `{}` or `{"resumesAt": "<ISO 8601>"}`; resumesAt in Unix seconds. */
export function parsePauseRequest(body: string | undefined): { resumesAt?: number } {
  const { resumesAt } = parseJsonBody(body, PauseRequestSchema, { example: '{"resumesAt": "2027-01-31T00:00:00Z"}', optional: true });
  return resumesAt === undefined ? {} : { resumesAt: Math.floor(Date.parse(resumesAt) / 1000) };
}

/** POST /v1/subscriptions/{id}/pause. */
export async function pauseSubscription(
  caller: PauseCaller,
  subscriptionId: string,
  request: { resumesAt?: number },
  ports: PausingPorts,
): Promise<EntitlementsResponse> {
  const pause = appPauseOf(caller, ports);
  const now = ports.now();
  const resumesAt = boundedResumesAt(request.resumesAt, pause, now);
  const target = await callersSubscription(caller.accountId, subscriptionId, ports);
  const { customerId, subscription } = target;
  if (NOT_PAUSABLE_STATUSES.includes(subscription.status)) {
    throw new AppError('conflict', 'subscription_not_pausable', `The subscription ${subscriptionId} cannot be paused while it is ${subscription.status}.`);
  }
  const kind = pauseKind(subscription, now);
  if (kind !== null && kind !== pause.mode) throw pausedDifferently(subscriptionId, kind);
  if (kind === pause.mode) return answerWith(caller.accountId, target, subscription, positionOf(target, target.readAt, 'read', ports), ports);

  const writeAt = readStart(ports.now);
  const window = Math.floor(writeAt.second / IDEMPOTENCY_WINDOW_SECONDS);
  if (pause.mode === 'collection') {
    const paused = await ports.subscriptions.pauseCollection(
      subscriptionId,
      pause.collectionBehavior,
      resumesAt,
      `linkout-pause-collection-${subscriptionId}-${resumesAt}-${window}`,
    );
    return answerWith(caller.accountId, target, paused, positionOf(target, writeAt, 'pause', ports), ports);
  }
  const paused = await ports.subscriptions.pause(subscriptionId, `linkout-pause-${subscriptionId}-${window}`);
  await writeReadSnapshots(ports.store, [paused], positionOf(target, writeAt, 'pause', ports));
  // Entry first, record second: a failure in between leaves an entry the resumer finds obsolete,
  // never a promised resume time that nothing will honour.
  await ports.schedule.schedule({ accountId: caller.accountId, customerId, subscriptionId, resumesAt });
  await ports.store.setScheduledResume(customerId, subscriptionId, resumesAt);
  return currentEntitlements(caller.accountId, customerId, ports);
}

/** POST /v1/subscriptions/{id}/resume. */
export async function resumeSubscription(caller: PauseCaller, subscriptionId: string, ports: PausingPorts): Promise<EntitlementsResponse> {
  const pause = appPauseOf(caller, ports);
  const target = await callersSubscription(caller.accountId, subscriptionId, ports);
  const { customerId, subscription } = target;
  const kind = pauseKind(subscription, ports.now());
  if (kind !== null && kind !== pause.mode) throw pausedDifferently(subscriptionId, kind);
  if (kind === null) return answerWith(caller.accountId, target, subscription, positionOf(target, target.readAt, 'read', ports), ports);

  const writeAt = readStart(ports.now);
  const window = Math.floor(writeAt.second / IDEMPOTENCY_WINDOW_SECONDS);
  if (kind === 'collection') {
    const resumed = await ports.subscriptions.clearPauseCollection(subscriptionId, `linkout-resume-collection-${subscriptionId}-${window}`);
    return answerWith(caller.accountId, target, resumed, positionOf(target, writeAt, 'resume', ports), ports);
  }
  const scheduled = target.stored?.scheduledResumeAt;
  // The scheduled resumer's own key when a resume is scheduled: the app and the resumer racing on
  // one pause resume it once.
  const key = scheduled === undefined ? `linkout-resume-${subscriptionId}-${window}` : resumeIdempotencyKey({ subscriptionId, resumesAt: scheduled });
  const resumed = await ports.subscriptions.resume(subscriptionId, key);
  await writeReadSnapshots(ports.store, [resumed], positionOf(target, writeAt, 'resume', ports));
  // Record first, entry last (the resumer's order): a failure in between leaves an obsolete entry.
  await ports.store.setScheduledResume(customerId, subscriptionId, null);
  if (scheduled !== undefined) await ports.schedule.cancel({ subscriptionId, resumesAt: scheduled });
  return currentEntitlements(caller.accountId, customerId, ports);
}

function appPauseOf(caller: PauseCaller, ports: PausingPorts): RolePause {
  const roleName = portalRoleFor(ports.config.portal, caller.role);
  const pause = ports.config.portal.roles[roleName]?.pause;
  if (!pause?.app) throw forbidden('pause_not_allowed', 'Your role in this account may not pause or resume subscriptions in the app.');
  return pause;
}

/** The requested resume time, else the role's maximum; refused unless it is ahead and within the maximum. */
function boundedResumesAt(requested: number | undefined, pause: RolePause, now: number): number {
  const latest = addDuration(now, pause.maxDuration);
  if (requested === undefined) return latest;
  if (requested <= now) throw invalidRequest('resumes_at_not_in_future', 'resumesAt must be in the future.');
  if (requested > latest) {
    throw invalidRequest(
      'pause_too_long',
      `resumesAt may be at most ${describeDuration(pause.maxDuration)} from now (${new Date(latest * 1000).toISOString()}) for your role.`,
    );
  }
  return requested;
}

/** The caller's subscription: Stripe's now, and the record stored before Stripe was asked. */
interface Target {
  customerId: string;
  subscription: SubscriptionSnapshot;
  /** Just before the read. */
  readAt: ReadStart;
  stored: StoredSubscription | undefined;
}

/**
 * The caller's subscription as Stripe holds it now. Another customer's subscription is answered
 * exactly like a missing one, and an account without a customer is refused without calling Stripe.
 * The stored record is read before Stripe on purpose (see positionOf).
 */
async function callersSubscription(accountId: string, subscriptionId: string, ports: PausingPorts): Promise<Target> {
  const missing = () => notFound('subscription_not_found', `No subscription ${subscriptionId} belongs to your account.`);
  const customerId = await ports.links.customerForAccount(accountId);
  if (!customerId) throw missing();
  const records = await ports.store.customerRecords(customerId);
  const readAt = readStart(ports.now);
  const subscription = await ports.subscriptions.retrieve(subscriptionId);
  if (!subscription || subscription.customerId !== customerId) throw missing();
  const stored = records?.subscriptions.find((candidate) => candidate.snapshot.id === subscriptionId);
  return { customerId, subscription, readAt, stored };
}

/**
 * Where Stripe's answer is written: one second before the call (./read-snapshots.ts), but never
 * before the event stored when the request began. That event was stored before Stripe was called,
 * so Stripe's answer already includes its change; writing at its second makes a tie that the answer
 * itself resolves. Without this, a resume in the same second as the pause's stored webhook would be
 * stale and the answer would still say paused until the resume's own webhook arrived.
 */
function positionOf(target: Target, before: ReadStart, kind: string, ports: PausingPorts): ReadPosition {
  const position = readPosition(before, ports.randomId, kind);
  return { ...position, created: Math.max(position.created, target.stored?.snapshotCreated ?? position.created) };
}

function pausedDifferently(subscriptionId: string, kind: PauseKind): AppError {
  const how = kind === 'subscription' ? "paused with Stripe's pause (status paused)" : 'paused in its payment collection (pause_collection)';
  return new AppError(
    'conflict',
    'paused_differently',
    `The subscription ${subscriptionId} is ${how}, which your role's pause mode does not manage; resume it where it was paused.`,
  );
}

/** Writes what Stripe answered (or what was just read) through the ordered path, then answers the entitlements. */
async function answerWith(
  accountId: string,
  target: Target,
  snapshot: SubscriptionSnapshot,
  position: ReadPosition,
  ports: PausingPorts,
): Promise<EntitlementsResponse> {
  await writeReadSnapshots(ports.store, [snapshot], position);
  return currentEntitlements(accountId, target.customerId, ports);
}

async function currentEntitlements(accountId: string, customerId: string, ports: PausingPorts): Promise<EntitlementsResponse> {
  const records = await ports.store.customerRecords(customerId);
  return entitlementsResponse(accountId, customerId, records, ports.config, ports.now());
}

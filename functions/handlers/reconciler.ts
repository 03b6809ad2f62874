/**
 * Reconciliation of missed webhooks (functions/core/reconciliation.ts). Not an HTTP handler:
 * EventBridge Scheduler invokes it every 15 minutes in AWS (lib/infra/reconciler.ts); locally
 * `stack.reconcile()` (lib/local/dev-server.ts) and `npm run reconcile` (bin/reconcile.ts) run the
 * same logic. The payload is ignored: every run lists what Stripe has since the checkpoint.
 *
 * One log line per run with the report (the stack's alarms filter on it); a run that stopped on a
 * failure logs it as an error and counts the same `stripe_*` metrics as the HTTP handlers.
 */
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '#adapters/dynamodb/client';
import { DynamoReconcileCheckpoint } from '#adapters/dynamodb/reconcile-checkpoint';
import { stripeErrorClass } from '#adapters/http/error-mapper';
import { logger } from '#adapters/logger';
import { countStripeError } from '#adapters/metrics';
import { scheduledHandler } from '#adapters/scheduled-handler';
import { STRIPE_API_VERSION } from '#adapters/stripe/client';
import { StripeEventSource, type StripeEventSourceOptions } from '#adapters/stripe/event-source';
import { lazyStripeClient } from '#adapters/stripe/lazy-client';
import { nowInUnixSeconds } from '#core/clock';
import { type ReconcilePorts, type ReconcileReport, reconcileMissedEvents } from '#core/reconciliation';
import { entitlementSyncFromEnv } from './webhook';

/** The log line of every run; the stack's alarm on stopped runs filters on it. */
export const RUN_LOG_MESSAGE = 'reconciler run';

export type ReconcilerPorts = Omit<ReconcilePorts, 'onPage' | 'onFailure'>;

/** One run, reported and logged. */
export function makeReconciler(ports: ReconcilerPorts, onPage?: ReconcilePorts['onPage']): () => Promise<ReconcileReport> {
  const onFailure = (eventId: string | null, error: unknown) => {
    const stripeError = stripeErrorClass(error);
    if (stripeError) countStripeError(stripeError);
    logger.warn('reconciliation stopped: the next run retries from the checkpoint', { eventId, error: error as Error });
  };
  return async () => {
    const report = await reconcileMissedEvents({ ...ports, onFailure, ...(onPage && { onPage }) });
    // Counts, ids and times only: never an event's payload.
    if (report.complete) logger.info(RUN_LOG_MESSAGE, { ...report });
    else logger.error(RUN_LOG_MESSAGE, { ...report });
    if (report.window.clamped)
      logger.warn('reconciliation checkpoint older than Stripe keeps events: events may be lost, run the backfill', { window: report.window });
    if (report.skippedApiVersion.count > 0) logger.warn('events in another API version skipped', { ...report.skippedApiVersion, pinned: STRIPE_API_VERSION });
    return report;
  };
}

/** The ports of a run against the environment's table and Stripe; the sync is the webhook's own composition. */
export function reconcilerPortsFromEnv(env: NodeJS.ProcessEnv = process.env, eventSource: StripeEventSourceOptions = {}): ReconcilerPorts {
  const db = documentClient(dynamoFromEnv(env));
  const stripe = lazyStripeClient(env);
  return {
    events: new StripeEventSource(stripe, eventSource),
    checkpoint: new DynamoReconcileCheckpoint(db, tableNameFromEnv(env)),
    sync: entitlementSyncFromEnv(env),
    apiVersion: STRIPE_API_VERSION,
    now: nowInUnixSeconds,
  };
}

export const handler = scheduledHandler(() => makeReconciler(reconcilerPortsFromEnv()));

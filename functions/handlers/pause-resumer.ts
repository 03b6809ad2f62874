/**
 * The scheduled resumer of app pauses (functions/core/pause-resumer.ts). Not an HTTP handler:
 * EventBridge Scheduler invokes it every five minutes in AWS (lib/infra/pause-resumer.ts), the
 * local stack's timer every LINKOUT_RESUME_INTERVAL_SECONDS (lib/local/dev-server.ts). The payload
 * is ignored: every run simply handles what is due now.
 *
 * One log line per run with the report; one warning per entry left for the next run. Stripe
 * failures count the same `stripe_*` metrics as the HTTP handlers, so the same alarms see them.
 */
import { loadConfig } from '#adapters/config';
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { DynamoResumeSchedule } from '#adapters/dynamodb/resume-schedule';
import { stripeErrorClass } from '#adapters/http/error-mapper';
import { logger } from '#adapters/logger';
import { countStripeError } from '#adapters/metrics';
import { scheduledHandler } from '#adapters/scheduled-handler';
import { lazyStripeClient } from '#adapters/stripe/lazy-client';
import { StripePausableSubscriptions } from '#adapters/stripe/pausable-subscriptions';
import { nowInUnixSeconds } from '#core/clock';
import { type PauseResumerPorts, RESUMES_PER_RUN, type ResumeReport, resumeDuePauses } from '#core/pause-resumer';

/** The log line of every run; the stack's alarm on left-over entries filters on it. */
export const RUN_LOG_MESSAGE = 'pause resumer run';

export interface PauseResumerDeps {
  ports: Omit<PauseResumerPorts, 'onFailure'>;
  limit?: number;
}

/** One run: what is due at `ports.now()`, reported and logged. */
export function makePauseResumer(deps: PauseResumerDeps): () => Promise<ResumeReport> {
  const ports: PauseResumerPorts = {
    ...deps.ports,
    onFailure: (entry, error) => {
      const stripeError = stripeErrorClass(error);
      if (stripeError) countStripeError(stripeError);
      // Ids and times only: nothing about the customer beyond Stripe's own ids.
      logger.warn('scheduled resume left for the next run', {
        subscriptionId: entry.subscriptionId,
        customerId: entry.customerId,
        resumesAt: entry.resumesAt,
        error: error as Error,
      });
    },
  };
  return async () => {
    const report = await resumeDuePauses(ports.now(), ports, { limit: deps.limit ?? RESUMES_PER_RUN });
    logger.info(RUN_LOG_MESSAGE, { ...report });
    return report;
  };
}

export function pauseResumerDepsFromEnv(env: NodeJS.ProcessEnv = process.env): PauseResumerDeps {
  const db = documentClient(dynamoFromEnv(env));
  const tableName = tableNameFromEnv(env);
  loadConfig(env); // fail at cold start on an invalid configuration, like every handler
  return {
    ports: {
      schedule: new DynamoResumeSchedule(db, tableName),
      store: new DynamoEntitlementStore(db, tableName),
      subscriptions: new StripePausableSubscriptions(lazyStripeClient(env)),
      now: nowInUnixSeconds,
    },
  };
}

export const handler = scheduledHandler(() => makePauseResumer(pauseResumerDepsFromEnv()));

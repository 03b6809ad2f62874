/**
 * The names of Linkout's own CloudWatch metrics, shared by the code that emits them
 * (functions/adapters/metrics.ts) and the alarms that watch them (lib/infra/api-stack.ts).
 * Free of runtime imports, so that synth does not load Powertools.
 */
import type { WebhookOutcome } from '#core/entitlements-sync';

/** Each stack publishes under `Linkout/<stack name>`, so that two stages in one account never mix. */
export const METRIC_NAMESPACE = 'Linkout';

/** What became of one webhook delivery: the sync's outcomes, plus refused (4xx) and failed (5xx, Stripe retries). */
export type WebhookMetricOutcome = WebhookOutcome | 'rejected' | 'failed';

export function webhookOutcomeMetric(outcome: WebhookMetricOutcome): string {
  return `webhook_${outcome}`;
}

/**
 * The error codes functions/adapters/stripe/errors.ts gives Stripe's failures; each is counted under
 * its own name. test/unit/observability.test.ts checks that every Stripe error class maps to one of these.
 */
export const STRIPE_ERROR_METRICS = ['stripe_rate_limited', 'stripe_unreachable', 'stripe_failed', 'stripe_rejected_credentials', 'stripe_rejected'] as const;

export type StripeErrorMetric = (typeof STRIPE_ERROR_METRICS)[number];

/**
 * Linkout's business metrics, as CloudWatch embedded-metric-format lines (Powertools Metrics): one
 * count per webhook outcome and per Stripe error class. The alarms in lib/infra/api-stack.ts watch
 * them; the names are in ./metric-names.ts.
 *
 * Published only where a namespace is set, which LinkoutFunction does for every Lambda: EMF is
 * printed to stdout, where CloudWatch picks it up in AWS and where it would only be noise in the
 * local stack and the tests.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { METRICS_NAMESPACE_ENV, SERVICE_NAME, SERVICE_NAME_ENV } from './environment';
import { logger } from './logger';
import { type StripeErrorMetric, type WebhookMetricOutcome, webhookOutcomeMetric } from './metric-names';

const publishing = Boolean(process.env[METRICS_NAMESPACE_ENV]);

const metrics = new Metrics({ serviceName: process.env[SERVICE_NAME_ENV] ?? SERVICE_NAME, logger });

export function countWebhookOutcome(outcome: WebhookMetricOutcome): void {
  metrics.addMetric(webhookOutcomeMetric(outcome), MetricUnit.Count, 1);
}

export function countStripeError(code: StripeErrorMetric): void {
  metrics.addMetric(code, MetricUnit.Count, 1);
}

/**
 * Flushes the invocation's metrics when it ends, answered or failed. Unlike Powertools' own
 * `logMetrics`, it stays silent for an invocation that counted nothing (most app requests), where
 * Powertools would log a "No application metrics to publish" warning every time.
 */
export function publishMetrics(): MiddlewareObj {
  const flush = async () => {
    if (!metrics.hasStoredMetrics()) return;
    if (publishing) metrics.publishStoredMetrics();
    else metrics.clearMetrics();
  };
  return { after: flush, onError: flush };
}

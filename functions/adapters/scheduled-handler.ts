/**
 * The Lambda entry of a scheduled job (the pause resumer, the reconciler): not an HTTP handler, the
 * payload is ignored and every invocation is one run. Built on the first invocation like the HTTP
 * handlers (buildOnFirstCall), with the Lambda context on every log line, the run's metrics flushed,
 * and in AWS the Stripe secret loaded from Secrets Manager before each run (cached).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildOnFirstCall } from './http/middleware';
import { awsStripeSecrets } from './http/secrets-middleware';
import { logger } from './logger';
import { publishMetrics } from './metrics';

export function scheduledHandler<Report>(makeRun: () => () => Promise<Report>): (event: unknown, context: Context) => Promise<Report> {
  return buildOnFirstCall<unknown, Report>(() => {
    const run = makeRun();
    return middy<unknown, Report, Error, Context>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(publishMetrics())
      .use(awsStripeSecrets())
      .handler(() => run());
  });
}

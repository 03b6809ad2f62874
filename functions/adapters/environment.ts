/**
 * The names of the environment variables that the CDK stacks set and the Lambdas read, written once.
 * Deliberately free of imports: `lib/infra` loads this module at synth, and must not load the AWS SDK,
 * middy or Powertools with it.
 */

/** The ARN of the Stripe secret in Secrets Manager (never its value); set on every Lambda. */
export const STRIPE_SECRET_ARN_ENV = 'STRIPE_SECRET_ARN';

/** Local stack and tests only: the Stripe secret key itself. In AWS it stays in Secrets Manager. */
export const STRIPE_SECRET_KEY_ENV = 'STRIPE_SECRET_KEY';

/** Local stack and tests only: the accepted webhook signing secrets, comma-separated. */
export const STRIPE_WEBHOOK_SECRET_ENV = 'STRIPE_WEBHOOK_SECRET';

/** Powertools' service name: the `service` key of every log line and the `service` dimension of every metric. */
export const SERVICE_NAME_ENV = 'POWERTOOLS_SERVICE_NAME';
export const SERVICE_NAME = 'linkout';

/** Powertools' CloudWatch namespace for metrics; set only in AWS, where metrics are published. */
export const METRICS_NAMESPACE_ENV = 'POWERTOOLS_METRICS_NAMESPACE';

/**
 * The stateless compute of Linkout: the HTTP API with its JWT authorizer, one Lambda per handler of
 * the route table, the deploy-time portal configuration sync, and the alarms that tell ops when
 * webhooks fail. Safe to destroy and redeploy: all state lives in the data stack and in Stripe.
 */

import { type CfnElement, CfnOutput, CustomResource, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, HttpNoneAuthorizer, type HttpRoute, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterPattern, LogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { SERVICE_NAME } from '#adapters/environment';
import { STRIPE_ERROR_METRICS, type StripeErrorMetric, webhookOutcomeMetric } from '#adapters/metric-names';
import { type ApiRoute, apiRoutes, type HandlerName } from '#handlers/routes';
import { LinkoutFunction, metricNamespace, type TableAccess } from './linkout-function';
import { PauseResumer } from './pause-resumer';
import { Reconciler } from './reconciler';
import { type LinkoutStage, logRetention, portalConfigHash, statefulRemovalPolicy } from './stage';

export interface ApiStackProps extends StackProps {
  stage: LinkoutStage;
  table: ITable;
  stripeSecret: ISecret;
}

/** Least privilege per handler; a new handler name does not compile until it is given its access here. */
export const TABLE_ACCESS: Record<HandlerName, TableAccess> = {
  webhook: 'read-write',
  entitlements: 'read',
  'portal-sessions': 'read-write',
  // Reads and writes the account's customer link, exactly like portal sessions.
  'checkout-sessions': 'read-write',
  // Like checkout: the customer link, and the purchase record it starts.
  subscriptions: 'read-write',
  // Only reads the purchase record.
  purchases: 'read',
  // Writes the per-account refresh bound, the subscriptions it read and the purchase outcome.
  'entitlements-refresh': 'read-write',
  // Writes the subscription Stripe answered, its scheduled resume and the resume schedule's entry.
  'subscription-pause': 'read-write',
};

/**
 * Stripe allows 25 requests per second per endpoint by default; each portal-session request makes
 * one billing_portal/sessions call, so the route is held below that with room for retries.
 */
export const PORTAL_SESSION_THROTTLE = { rateLimit: 20, burstLimit: 20 } as const;
/** The purchase route, on the same reasoning: one checkout/sessions call per request. */
export const CHECKOUT_SESSION_THROTTLE = { rateLimit: 20, burstLimit: 20 } as const;
/** Amazon Pay, on the same reasoning: one setup_intents call per request. */
export const SUBSCRIPTION_THROTTLE = { rateLimit: 20, burstLimit: 20 } as const;
/**
 * Each refresh route: a refresh lists the account's subscriptions and may read its purchase back; the
 * per-account bound (functions/core/refresh.ts) caps one client, this caps all of them together.
 */
export const REFRESH_THROTTLE = { rateLimit: 10, burstLimit: 10 } as const;
/**
 * Each pause route: one subscription read and at most one subscription write per request; pausing
 * is rare, so a low cap costs no real user anything and keeps a runaway client off Stripe's limit.
 */
export const PAUSE_THROTTLE = { rateLimit: 10, burstLimit: 10 } as const;
/** The handlers whose every route calls Stripe per request, held under Stripe's per-endpoint limit (set per route). */
const STRIPE_BOUND_HANDLERS: ReadonlyArray<[HandlerName, { rateLimit: number; burstLimit: number }]> = [
  ['portal-sessions', PORTAL_SESSION_THROTTLE],
  ['checkout-sessions', CHECKOUT_SESSION_THROTTLE],
  ['subscriptions', SUBSCRIPTION_THROTTLE],
  ['entitlements-refresh', REFRESH_THROTTLE],
  ['subscription-pause', PAUSE_THROTTLE],
];

/** Why each route without the JWT authorizer is safe (cdk-nag AwsSolutions-APIG4); an unlisted one fails synth. */
const UNAUTHORIZED_ROUTE_REASONS: Readonly<Record<string, string>> = {
  'POST /v1/webhooks/stripe': 'Stripe cannot send a JWT; the webhook handler authenticates every delivery by its Stripe-Signature HMAC on the raw body.',
  'POST /v1/purchases/{id}/refresh':
    "The universal-link fallback page has no JWT; the Checkout Session or SetupIntent id in the path is the capability (a long random id only the buyer's browser receives), the answer is only that purchase's status, and the per-account refresh bound and route throttle cap its Stripe reads.",
};
/** Everything else: generous enough for Stripe's webhook bursts, low enough to cap a runaway client. */
const DEFAULT_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/**
 * Out-of-order deliveries happen (Stripe does not order them), so a few `stale` outcomes are normal;
 * this many in five minutes means replayed old events or an ordering fault.
 */
export const STALE_WEBHOOK_BURST = 20;

/** What each Stripe error class means for ops; one alarm each, on the first occurrence. */
const STRIPE_ERROR_ALARMS: Record<StripeErrorMetric, string> = {
  stripe_rate_limited: 'Stripe is rate limiting Linkout (429): portal sessions and webhook lookups are being refused.',
  stripe_unreachable: 'Stripe could not be reached or timed out: portal sessions fail and webhooks are retried.',
  stripe_failed: 'Stripe answered with server errors (5xx).',
  stripe_rejected_credentials: "Stripe rejected Linkout's API key: check the key in the Stripe secret (rolled or revoked?).",
  stripe_rejected: 'Stripe rejected a request as invalid (4xx): a configuration or code problem.',
};

export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Map<HandlerName, LinkoutFunction>;
  readonly alarmTopic: Topic;
  readonly pauseResumer: PauseResumer;
  readonly reconciler: Reconciler;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { stage } = props;

    this.functions = this.createHandlers(props);
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: logRetention(stage.settings.logRetentionDays),
      removalPolicy: statefulRemovalPolicy(stage),
    });
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `linkout-${stage.name}`,
      description: `Linkout v1 API (${stage.name})`,
      createDefaultStage: false,
    });
    const apiStage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: DEFAULT_THROTTLE,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: accessLogFormat() },
    });

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', stage.config.auth.issuer, {
      jwtAudience: stage.config.auth.audience,
      identitySource: ['$request.header.Authorization'],
    });
    const routes = apiRoutes.map((route) => this.addRoute(route, authorizer));
    this.throttleStripeBoundRoutes(apiStage.node.defaultChild as CfnStage, routes);

    this.alarmTopic = this.createAlarmTopic(stage);
    this.createAlarms(accessLogs);
    this.createApplicationMetricAlarms();
    // Not behind a route: EventBridge Scheduler runs it (lib/infra/pause-resumer.ts).
    this.pauseResumer = new PauseResumer(this, 'PauseResumer', { stage, table: props.table, stripeSecret: props.stripeSecret, alarmTopic: this.alarmTopic });
    // Heals missed webhooks on a schedule (lib/infra/reconciler.ts).
    this.reconciler = new Reconciler(this, 'Reconciler', { stage, table: props.table, stripeSecret: props.stripeSecret, alarmTopic: this.alarmTopic });
    this.syncPortalConfigurations(props);

    const webhookPath = routeFor('webhook').path;
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL of the v1 API' });
    new CfnOutput(this, 'WebhookUrl', {
      value: `${this.api.apiEndpoint}${webhookPath}`,
      description: 'Paste into Stripe: Developers > Webhooks > Add endpoint',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }

  private createHandlers(props: ApiStackProps): Map<HandlerName, LinkoutFunction> {
    const functions = new Map<HandlerName, LinkoutFunction>();
    for (const { handler } of apiRoutes) {
      if (functions.has(handler)) continue;
      functions.set(
        handler,
        new LinkoutFunction(this, `${pascal(handler)}Function`, {
          handlerName: handler,
          stage: props.stage,
          table: { table: props.table, access: TABLE_ACCESS[handler] },
          stripeSecret: props.stripeSecret,
        }),
      );
    }
    return functions;
  }

  /** One route of the table; the JWT authorizer unless the route is explicitly unauthorized (UNAUTHORIZED_ROUTE_REASONS says why). */
  private addRoute(route: ApiRoute, jwt: HttpJwtAuthorizer): HttpRoute[] {
    const fn = this.functions.get(route.handler)!;
    const added = this.api.addRoutes({
      path: route.path,
      methods: [HttpMethod[route.method]],
      integration: new HttpLambdaIntegration(`${pascal(route.handler)}${route.method}Integration`, fn),
      authorizer: route.authorized ? jwt : new HttpNoneAuthorizer(),
    });
    if (!route.authorized) {
      const reason = UNAUTHORIZED_ROUTE_REASONS[`${route.method} ${route.path}`];
      if (!reason) throw new Error(`${route.method} ${route.path} has no JWT authorizer and no reason why that is safe`);
      for (const unauthorized of added) Validations.of(unauthorized).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    }
    return added;
  }

  private throttleStripeBoundRoutes(stage: CfnStage, routes: HttpRoute[][]): void {
    const throttles = new Map(STRIPE_BOUND_HANDLERS);
    for (const route of apiRoutes) {
      const throttle = throttles.get(route.handler);
      if (!throttle) continue;
      stage.addPropertyOverride(`RouteSettings.${route.method} ${route.path}`, {
        ThrottlingRateLimit: throttle.rateLimit,
        ThrottlingBurstLimit: throttle.burstLimit,
      });
    }
    // Route settings name a route key that must already exist when the stage is created or updated.
    for (const route of routes.flat()) stage.node.addDependency(route);
  }

  private createAlarmTopic(stage: LinkoutStage): Topic {
    const topic = new Topic(this, 'AlarmTopic', { displayName: `Linkout ${stage.name} alarms`, enforceSSL: true });
    if (stage.settings.alarmEmail) topic.addSubscription(new EmailSubscription(stage.settings.alarmEmail));
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry no customer data; a customer-managed KMS key (needed for CloudWatch to publish to an encrypted topic) would cost more than the whole idle stack.',
    });
    return topic;
  }

  private createAlarms(accessLogs: LogGroup): void {
    const webhook = routeFor('webhook');
    const webhookRouteKey = `${webhook.method} ${webhook.path}`;
    // Webhook outcomes come from the access log, so they need no paid detailed route metrics.
    const webhookMetric = (name: string, statusPattern: string) =>
      new MetricFilter(this, `${name}Filter`, {
        logGroup: accessLogs,
        metricNamespace: metricNamespace(this),
        metricName: name,
        filterPattern: FilterPattern.literal(`{ $.routeKey = "${webhookRouteKey}" && ${statusPattern} }`),
        metricValue: '1',
        defaultValue: 0,
      }).metric({ statistic: 'Sum', period: Duration.minutes(5) });

    // Stripe retries a failed delivery, but a 5xx means entitlements are going stale right now.
    this.alarm(
      'WebhookServerErrors',
      webhookMetric('WebhookServerErrors', '$.status >= 500'),
      1,
      1,
      'Stripe webhook deliveries are failing with 5xx; entitlements are not being updated.',
    );
    // A burst of 4xx on the webhook is nearly always a wrong or rolled signing secret.
    this.alarm(
      'WebhookRejected',
      webhookMetric('WebhookRejected', '$.status >= 400 && $.status < 500'),
      5,
      3,
      'Stripe webhook deliveries are being rejected (4xx); check the webhook signing secret.',
    );
    this.alarm('ApiServerErrors', this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }), 5, 1, 'The Linkout API is answering 5xx.');

    for (const [name, fn] of this.functions) {
      this.alarm(`${pascal(name)}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), 1, 1, `The ${name} Lambda is failing.`);
      this.alarm(
        `${pascal(name)}Throttles`,
        fn.metricThrottles({ period: Duration.minutes(5) }),
        1,
        1,
        `The ${name} Lambda is being throttled (account concurrency exhausted).`,
      );
    }
  }

  /** Alarms on the metrics the functions publish themselves (functions/adapters/metrics.ts). */
  private createApplicationMetricAlarms(): void {
    const count = (metricName: string) =>
      new Metric({
        namespace: metricNamespace(this),
        metricName,
        // Powertools adds the service as the one dimension of every metric.
        dimensionsMap: { service: SERVICE_NAME },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    this.alarm(
      'WebhookStaleBurst',
      count(webhookOutcomeMetric('stale')),
      STALE_WEBHOOK_BURST,
      1,
      'A burst of stale webhook deliveries (older than what is stored): replayed old events or an ordering fault.',
    );
    for (const code of STRIPE_ERROR_METRICS) {
      this.alarm(pascal(code), count(code), 1, 1, STRIPE_ERROR_ALARMS[code]);
    }
  }

  private alarm(id: string, metric: IMetric, threshold: number, evaluationPeriods: number, description: string): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    alarm.addOkAction(new SnsAction(this.alarmTopic));
    return alarm;
  }

  /** Creates or updates one Stripe portal configuration per role on every deploy that changes them. */
  private syncPortalConfigurations(props: ApiStackProps): void {
    const onEvent = new LinkoutFunction(this, 'PortalConfigFunction', {
      handlerName: 'portal-config-resource',
      stage: props.stage,
      stripeSecret: props.stripeSecret,
      description: `Linkout portal configuration sync (${props.stage.name})`,
      timeout: Duration.minutes(2),
      memorySize: 256,
    });
    const forcedSync: unknown = this.node.tryGetContext('portalSync');
    const provider = new Provider(this, 'PortalConfigProvider', {
      onEventHandler: onEvent,
      logGroup: new LogGroup(this, 'PortalConfigProviderLogs', {
        retention: logRetention(props.stage.settings.logRetentionDays),
        removalPolicy: statefulRemovalPolicy(props.stage),
      }),
    });
    const onEventId = Stack.of(this).getLogicalId(onEvent.node.defaultChild as CfnElement);
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The role of the CDK Provider framework function is created by aws-cdk-lib and only writes its own logs.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${onEventId}.Arn>:*]`,
        reason: 'The Provider framework may invoke any version of the one portal sync function, nothing else.',
      },
    );
    new CustomResource(this, 'PortalConfigurations', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::LinkoutPortalConfigurations',
      // The hash makes CloudFormation send an Update exactly when the portal-relevant config changes;
      // `-c portalSync=<anything new>` forces one (e.g. after pointing the secret at another Stripe account).
      properties: {
        ConfigHash: portalConfigHash(props.stage.config),
        Stage: props.stage.name,
        ...(forcedSync !== undefined && { ForcedSync: String(forcedSync) }),
      },
    });
  }
}

/** The one route of a single-route handler (the webhook); a handler with several routes has no single answer. */
function routeFor(handler: HandlerName): ApiRoute {
  const routes = apiRoutes.filter((candidate) => candidate.handler === handler);
  if (routes.length !== 1) throw new Error(`The route table has ${routes.length} routes for the ${handler} handler, not one`);
  return routes[0]!;
}

/**
 * JSON access log lines: the fields ops need to trace a request, and nothing from its body. The
 * status is a bare number so that the webhook metric filters can compare it numerically.
 */
function accessLogFormat(): AccessLogFormat {
  const quoted = {
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    responseLength: '$context.responseLength',
    latency: '$context.responseLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
  };
  return AccessLogFormat.custom(JSON.stringify(quoted).replace(/}$/, ',"status":$context.status}'));
}

function pascal(name: string): string {
  return name.replace(/(^|[-_])([a-z])/g, (_m, _dash, letter: string) => letter.toUpperCase());
}

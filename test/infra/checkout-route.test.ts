/**
 * The purchase route in the synthesized API stack: guarded by the JWT authorizer, throttled under
 * Stripe's per-endpoint rate limit, its own Lambda with read-write access to the one table and
 * nothing more, and nothing cdk-nag objects to.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '#adapters/config';
import { CHECKOUT_SESSION_THROTTLE, TABLE_ACCESS } from '#infra/api-stack';
import { buildLinkoutApp } from '#infra/linkout-app';

type Resource = { Properties: Record<string, any> };

const ROUTE_KEY = 'POST /v1/checkout-sessions';
let app: App;
let api: Template;

beforeAll(() => {
  // Bundling skipped, as in stacks.test.ts: the templates are what is checked here.
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  api = Template.fromStack(buildLinkoutApp(app, { config: loadConfig(), stageName: 'dev', nag: false }).api);
});

const resources = (type: string) => Object.entries(api.findResources(type) as Record<string, Resource>);

it('routes POST /v1/checkout-sessions, behind the JWT authorizer, to its own function', () => {
  const routes = resources('AWS::ApiGatewayV2::Route').filter(([, route]) => route.Properties.RouteKey === ROUTE_KEY);
  expect(routes).toHaveLength(1);
  expect(routes[0]![1].Properties.AuthorizationType).toBe('JWT');
  const functions = resources('AWS::Lambda::Function').filter(([id]) => id.startsWith('CheckoutSessionsFunction'));
  expect(functions).toHaveLength(1);
});

it("throttles the purchase route under Stripe's 25 requests per second per endpoint", () => {
  const [[, stage]] = resources('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
  expect(stage.Properties.RouteSettings[ROUTE_KEY]).toEqual({
    ThrottlingRateLimit: CHECKOUT_SESSION_THROTTLE.rateLimit,
    ThrottlingBurstLimit: CHECKOUT_SESSION_THROTTLE.burstLimit,
  });
  expect(CHECKOUT_SESSION_THROTTLE.rateLimit).toBeLessThan(25);
  expect(CHECKOUT_SESSION_THROTTLE.burstLimit).toBeLessThanOrEqual(25);
  expect(stage.Properties.RouteSettings['POST /v1/portal-sessions']).toBeDefined();
});

it('gives the function read-write access to the table (the account link), no table-wide or delete rights', () => {
  expect(TABLE_ACCESS['checkout-sessions']).toBe('read-write');
  const [, fn] = resources('AWS::Lambda::Function').find(([id]) => id.startsWith('CheckoutSessionsFunction'))!;
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  const actions = resources('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action));
  const dynamo = actions.filter((action) => action.startsWith('dynamodb:'));
  expect(dynamo).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
  expect(dynamo).not.toContain('dynamodb:*');
  expect(dynamo).not.toContain('dynamodb:DeleteTable');
});

it('leaves cdk-nag nothing to report', () => {
  const report = new AwsSolutionsChecks().validateScope(app);
  expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});

/**
 * The Amazon Pay and purchase-status routes in the synthesized API stack: both behind the JWT
 * authorizer, each its own Lambda; POST /v1/subscriptions is throttled under Stripe's per-endpoint
 * limit and may write the table, GET /v1/purchases/{id} may only read it.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '#adapters/config';
import { SUBSCRIPTION_THROTTLE, TABLE_ACCESS } from '#infra/api-stack';
import { buildLinkoutApp } from '#infra/linkout-app';

type Resource = { Properties: Record<string, any> };

let api: Template;

beforeAll(() => {
  // Bundling skipped, as in stacks.test.ts: the templates are what is checked here.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  api = Template.fromStack(buildLinkoutApp(app, { config: loadConfig(), stageName: 'dev', nag: false }).api);
});

const resources = (type: string) => Object.entries(api.findResources(type) as Record<string, Resource>);

function dynamoActionsOf(functionPrefix: string): string[] {
  const [, fn] = resources('AWS::Lambda::Function').find(([id]) => id.startsWith(functionPrefix))!;
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  return resources('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action))
    .filter((action: string) => action.startsWith('dynamodb:'));
}

it.each([
  ['POST /v1/subscriptions', 'SubscriptionsFunction'],
  ['GET /v1/purchases/{id}', 'PurchasesFunction'],
])('routes %s, behind the JWT authorizer, to its own function', (routeKey, functionPrefix) => {
  const routes = resources('AWS::ApiGatewayV2::Route').filter(([, route]) => route.Properties.RouteKey === routeKey);
  expect(routes).toHaveLength(1);
  expect(routes[0]![1].Properties.AuthorizationType).toBe('JWT');
  expect(resources('AWS::Lambda::Function').filter(([id]) => id.startsWith(functionPrefix))).toHaveLength(1);
});

it("throttles POST /v1/subscriptions under Stripe's 25 requests per second per endpoint", () => {
  const [[, stage]] = resources('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
  expect(stage.Properties.RouteSettings['POST /v1/subscriptions']).toEqual({
    ThrottlingRateLimit: SUBSCRIPTION_THROTTLE.rateLimit,
    ThrottlingBurstLimit: SUBSCRIPTION_THROTTLE.burstLimit,
  });
  expect(SUBSCRIPTION_THROTTLE.rateLimit).toBeLessThan(25);
  expect(SUBSCRIPTION_THROTTLE.burstLimit).toBeLessThanOrEqual(25);
});

it('POST /v1/subscriptions may write the table (customer link, purchase record), with no table-wide or delete rights', () => {
  expect(TABLE_ACCESS.subscriptions).toBe('read-write');
  const dynamo = dynamoActionsOf('SubscriptionsFunction');
  expect(dynamo).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
  expect(dynamo).not.toContain('dynamodb:*');
  expect(dynamo).not.toContain('dynamodb:DeleteTable');
});

it('GET /v1/purchases/{id} may only read the table', () => {
  expect(TABLE_ACCESS.purchases).toBe('read');
  const dynamo = dynamoActionsOf('PurchasesFunction');
  expect(dynamo).toContain('dynamodb:GetItem');
  expect(dynamo.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
});

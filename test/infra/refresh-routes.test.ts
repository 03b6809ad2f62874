/**
 * The two refresh routes in the synthesized API stack: the account route behind the JWT authorizer,
 * the purchase-id capability route without it (and cdk-nag told precisely why), both throttled, one
 * Lambda for both with read-write access to the one table and nothing more.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '#adapters/config';
import { REFRESH_THROTTLE, TABLE_ACCESS } from '#infra/api-stack';
import { buildLinkoutApp } from '#infra/linkout-app';

type Resource = { Properties: Record<string, any> };

const ACCOUNT_ROUTE = 'POST /v1/entitlements/refresh';
const CAPABILITY_ROUTE = 'POST /v1/purchases/{id}/refresh';
let app: App;
let api: Template;

beforeAll(() => {
  // Bundling skipped, as in stacks.test.ts: the templates are what is checked here.
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  api = Template.fromStack(buildLinkoutApp(app, { config: loadConfig(), stageName: 'dev', nag: false }).api);
});

const resources = (type: string) => Object.entries(api.findResources(type) as Record<string, Resource>);
const routeOf = (routeKey: string) => {
  const routes = resources('AWS::ApiGatewayV2::Route').filter(([, route]) => route.Properties.RouteKey === routeKey);
  expect(routes).toHaveLength(1);
  return routes[0]![1];
};
const integrationTarget = (route: Resource) => {
  const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref as string;
  return api.toJSON().Resources[integrationId].Properties.IntegrationUri['Fn::GetAtt'][0] as string;
};

it('guards the account route with the JWT authorizer and leaves the capability route without one', () => {
  expect(routeOf(ACCOUNT_ROUTE).Properties.AuthorizationType).toBe('JWT');
  expect(routeOf(CAPABILITY_ROUTE).Properties.AuthorizationType).toBe('NONE');
  expect(routeOf(CAPABILITY_ROUTE).Properties.AuthorizerId).toBeUndefined();
});

it('serves both routes from one EntitlementsRefresh function', () => {
  const functions = resources('AWS::Lambda::Function').filter(([id]) => id.startsWith('EntitlementsRefreshFunction'));
  expect(functions).toHaveLength(1);
  const [functionId] = functions[0]!;
  expect(integrationTarget(routeOf(ACCOUNT_ROUTE))).toBe(functionId);
  expect(integrationTarget(routeOf(CAPABILITY_ROUTE))).toBe(functionId);
});

it('throttles both routes, each on its own route key, and keeps the other Stripe-bound routes throttled', () => {
  const [[, stage]] = resources('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
  const expected = { ThrottlingRateLimit: REFRESH_THROTTLE.rateLimit, ThrottlingBurstLimit: REFRESH_THROTTLE.burstLimit };
  expect(stage.Properties.RouteSettings[ACCOUNT_ROUTE]).toEqual(expected);
  expect(stage.Properties.RouteSettings[CAPABILITY_ROUTE]).toEqual(expected);
  expect(stage.Properties.RouteSettings['POST /v1/portal-sessions']).toBeDefined();
  expect(stage.Properties.RouteSettings['POST /v1/checkout-sessions']).toBeDefined();
  expect(stage.Properties.RouteSettings['POST /v1/webhooks/stripe']).toBeUndefined();
});

it('gives the function read-write access to the table (bound, subscriptions, purchase), no table-wide or delete rights', () => {
  expect(TABLE_ACCESS['entitlements-refresh']).toBe('read-write');
  const [, fn] = resources('AWS::Lambda::Function').find(([id]) => id.startsWith('EntitlementsRefreshFunction'))!;
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  const actions = resources('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action));
  const dynamo = actions.filter((action) => action.startsWith('dynamodb:'));
  expect(dynamo).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']));
  expect(dynamo).not.toContain('dynamodb:*');
  expect(dynamo).not.toContain('dynamodb:DeleteTable');
});

it('leaves cdk-nag nothing to report: the unauthorized capability route carries its own acknowledged reason', () => {
  const report = new AwsSolutionsChecks().validateScope(app);
  expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});

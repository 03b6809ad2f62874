/**
 * The pause and resume routes in the synthesized API stack: both behind the JWT authorizer, both
 * throttled under Stripe's limit, served by one SubscriptionPause function with read-write access to
 * the one table (the subscription record, its scheduled resume and the schedule's entry).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '#adapters/config';
import { PAUSE_THROTTLE, TABLE_ACCESS } from '#infra/api-stack';
import { buildLinkoutApp } from '#infra/linkout-app';

type Resource = { Properties: Record<string, any> };

const PAUSE_ROUTE = 'POST /v1/subscriptions/{id}/pause';
const RESUME_ROUTE = 'POST /v1/subscriptions/{id}/resume';
let api: Template;

beforeAll(() => {
  // Bundling skipped, as in stacks.test.ts: the templates are what is checked here.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
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

it.each([PAUSE_ROUTE, RESUME_ROUTE])('guards %s with the JWT authorizer', (routeKey) => {
  expect(routeOf(routeKey).Properties.AuthorizationType).toBe('JWT');
  expect(routeOf(routeKey).Properties.AuthorizerId).toBeDefined();
});

it('serves both routes from one SubscriptionPause function', () => {
  const functions = resources('AWS::Lambda::Function').filter(([id]) => id.startsWith('SubscriptionPauseFunction'));
  expect(functions).toHaveLength(1);
  const [functionId] = functions[0]!;
  expect(integrationTarget(routeOf(PAUSE_ROUTE))).toBe(functionId);
  expect(integrationTarget(routeOf(RESUME_ROUTE))).toBe(functionId);
});

it('throttles both routes on their own route keys', () => {
  const [[, stage]] = resources('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
  const expected = { ThrottlingRateLimit: PAUSE_THROTTLE.rateLimit, ThrottlingBurstLimit: PAUSE_THROTTLE.burstLimit };
  expect(stage.Properties.RouteSettings[PAUSE_ROUTE]).toEqual(expected);
  expect(stage.Properties.RouteSettings[RESUME_ROUTE]).toEqual(expected);
});

it('gives the function read-write item access (the schedule entry is deleted on resume), nothing table-wide', () => {
  expect(TABLE_ACCESS['subscription-pause']).toBe('read-write');
  const [, fn] = resources('AWS::Lambda::Function').find(([id]) => id.startsWith('SubscriptionPauseFunction'))!;
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  const actions = resources('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action));
  const dynamo = actions.filter((action) => action.startsWith('dynamodb:'));
  expect(dynamo).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query']));
  expect(dynamo).not.toContain('dynamodb:*');
  expect(dynamo).not.toContain('dynamodb:DeleteTable');
});

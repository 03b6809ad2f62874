/**
 * The two refresh routes in the synthesized API stack: the account route behind the JWT authorizer,
 * the purchase-id capability route without it (and cdk-nag told precisely why), both throttled, one
 * Lambda for both with read-write access to the one table and nothing more.
 */
import { AwsSolutionsChecks } from 'cdk-nag';
import { REFRESH_THROTTLE, TABLE_ACCESS } from '#infra/api-stack';
import { ApiTemplate, type Resource } from './api-template';

const ACCOUNT_ROUTE = 'POST /v1/entitlements/refresh';
const CAPABILITY_ROUTE = 'POST /v1/purchases/{id}/refresh';
let template: ApiTemplate;

beforeAll(() => {
  template = new ApiTemplate();
});

const routeOf = (routeKey: string) => template.routeOf(routeKey);
const integrationTarget = (route: Resource) => template.integrationTarget(route);

it('guards the account route with the JWT authorizer and leaves the capability route without one', () => {
  expect(routeOf(ACCOUNT_ROUTE).Properties.AuthorizationType).toBe('JWT');
  expect(routeOf(CAPABILITY_ROUTE).Properties.AuthorizationType).toBe('NONE');
  expect(routeOf(CAPABILITY_ROUTE).Properties.AuthorizerId).toBeUndefined();
});

it('serves both routes from one EntitlementsRefresh function', () => {
  const functions = template.resources('AWS::Lambda::Function').filter(([id]) => id.startsWith('EntitlementsRefreshFunction'));
  expect(functions).toHaveLength(1);
  const [functionId] = functions[0]!;
  expect(integrationTarget(routeOf(ACCOUNT_ROUTE))).toBe(functionId);
  expect(integrationTarget(routeOf(CAPABILITY_ROUTE))).toBe(functionId);
});

it('throttles both routes, each on its own route key, and keeps the other Stripe-bound routes throttled', () => {
  const settings = template.routeSettings();
  const expected = { ThrottlingRateLimit: REFRESH_THROTTLE.rateLimit, ThrottlingBurstLimit: REFRESH_THROTTLE.burstLimit };
  expect(settings[ACCOUNT_ROUTE]).toEqual(expected);
  expect(settings[CAPABILITY_ROUTE]).toEqual(expected);
  expect(settings['POST /v1/portal-sessions']).toBeDefined();
  expect(settings['POST /v1/checkout-sessions']).toBeDefined();
  expect(settings['POST /v1/webhooks/stripe']).toBeUndefined();
});

it('gives the function read-write access to the table (bound, subscriptions, purchase), no table-wide or delete rights', () => {
  expect(TABLE_ACCESS['entitlements-refresh']).toBe('read-write');
  const dynamo = template.dynamoActionsOf('EntitlementsRefreshFunction');
  expect(dynamo).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']));
  expect(dynamo).not.toContain('dynamodb:*');
  expect(dynamo).not.toContain('dynamodb:DeleteTable');
});

it('leaves cdk-nag nothing to report: the unauthorized capability route carries its own acknowledged reason', () => {
  const report = new AwsSolutionsChecks().validateScope(template.app);
  expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});

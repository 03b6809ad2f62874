/**
 * The purchase route in the synthesized API stack: guarded by the JWT authorizer, throttled under
 * Stripe's per-endpoint rate limit, its own Lambda with read-write access to the one table and
 * nothing more, and nothing cdk-nag objects to.
 */
import { AwsSolutionsChecks } from 'cdk-nag';
import { CHECKOUT_SESSION_THROTTLE, TABLE_ACCESS } from '#infra/api-stack';
import { ApiTemplate } from './api-template';

const ROUTE_KEY = 'POST /v1/checkout-sessions';
let template: ApiTemplate;

beforeAll(() => {
  template = new ApiTemplate();
});

it('routes POST /v1/checkout-sessions, behind the JWT authorizer, to its own function', () => {
  expect(template.routeOf(ROUTE_KEY).Properties.AuthorizationType).toBe('JWT');
  const functions = template.resources('AWS::Lambda::Function').filter(([id]) => id.startsWith('CheckoutSessionsFunction'));
  expect(functions).toHaveLength(1);
});

it("throttles the purchase route under Stripe's 25 requests per second per endpoint", () => {
  const settings = template.routeSettings();
  expect(settings[ROUTE_KEY]).toEqual({
    ThrottlingRateLimit: CHECKOUT_SESSION_THROTTLE.rateLimit,
    ThrottlingBurstLimit: CHECKOUT_SESSION_THROTTLE.burstLimit,
  });
  expect(CHECKOUT_SESSION_THROTTLE.rateLimit).toBeLessThan(25);
  expect(CHECKOUT_SESSION_THROTTLE.burstLimit).toBeLessThanOrEqual(25);
  expect(settings['POST /v1/portal-sessions']).toBeDefined();
});

it('gives the function read-write access to the table (the account link), no table-wide or delete rights', () => {
  expect(TABLE_ACCESS['checkout-sessions']).toBe('read-write');
  const dynamo = template.dynamoActionsOf('CheckoutSessionsFunction');
  expect(dynamo).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
  expect(dynamo).not.toContain('dynamodb:*');
  expect(dynamo).not.toContain('dynamodb:DeleteTable');
});

it('leaves cdk-nag nothing to report', () => {
  const report = new AwsSolutionsChecks().validateScope(template.app);
  expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});

/**
 * The Amazon Pay and purchase-status routes in the synthesized API stack: both behind the JWT
 * authorizer, each its own Lambda; POST /v1/subscriptions is throttled under Stripe's per-endpoint
 * limit and may write the table, GET /v1/purchases/{id} may only read it.
 */
import { SUBSCRIPTION_THROTTLE, TABLE_ACCESS } from '#infra/api-stack';
import { ApiTemplate } from './api-template';

let template: ApiTemplate;

beforeAll(() => {
  template = new ApiTemplate();
});

it.each([
  ['POST /v1/subscriptions', 'SubscriptionsFunction'],
  ['GET /v1/purchases/{id}', 'PurchasesFunction'],
])('routes %s, behind the JWT authorizer, to its own function', (routeKey, functionPrefix) => {
  expect(template.routeOf(routeKey).Properties.AuthorizationType).toBe('JWT');
  expect(template.resources('AWS::Lambda::Function').filter(([id]) => id.startsWith(functionPrefix))).toHaveLength(1);
});

it("throttles POST /v1/subscriptions under Stripe's 25 requests per second per endpoint", () => {
  expect(template.routeSettings()['POST /v1/subscriptions']).toEqual({
    ThrottlingRateLimit: SUBSCRIPTION_THROTTLE.rateLimit,
    ThrottlingBurstLimit: SUBSCRIPTION_THROTTLE.burstLimit,
  });
  expect(SUBSCRIPTION_THROTTLE.rateLimit).toBeLessThan(25);
  expect(SUBSCRIPTION_THROTTLE.burstLimit).toBeLessThanOrEqual(25);
});

it('POST /v1/subscriptions may write the table (customer link, purchase record), with no table-wide or delete rights', () => {
  expect(TABLE_ACCESS.subscriptions).toBe('read-write');
  const dynamo = template.dynamoActionsOf('SubscriptionsFunction');
  expect(dynamo).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
  expect(dynamo).not.toContain('dynamodb:*');
  expect(dynamo).not.toContain('dynamodb:DeleteTable');
});

it('GET /v1/purchases/{id} may only read the table', () => {
  expect(TABLE_ACCESS.purchases).toBe('read');
  const dynamo = template.dynamoActionsOf('PurchasesFunction');
  expect(dynamo).toContain('dynamodb:GetItem');
  expect(dynamo.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
});

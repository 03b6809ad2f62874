/**
 * The pause and resume routes in the synthesized API stack: both behind the JWT authorizer, both
 * throttled under Stripe's limit, served by one SubscriptionPause function with read-write access to
 * the one table (the subscription record, its scheduled resume and the schedule's entry).
 */
import { PAUSE_THROTTLE, TABLE_ACCESS } from '#infra/api-stack';
import { ApiTemplate, type Resource } from './api-template';

const PAUSE_ROUTE = 'POST /v1/subscriptions/{id}/pause';
const RESUME_ROUTE = 'POST /v1/subscriptions/{id}/resume';
let template: ApiTemplate;

beforeAll(() => {
  template = new ApiTemplate();
});

const routeOf = (routeKey: string) => template.routeOf(routeKey);
const integrationTarget = (route: Resource) => template.integrationTarget(route);

it.each([PAUSE_ROUTE, RESUME_ROUTE])('guards %s with the JWT authorizer', (routeKey) => {
  expect(routeOf(routeKey).Properties.AuthorizationType).toBe('JWT');
  expect(routeOf(routeKey).Properties.AuthorizerId).toBeDefined();
});

it('serves both routes from one SubscriptionPause function', () => {
  const functions = template.resources('AWS::Lambda::Function').filter(([id]) => id.startsWith('SubscriptionPauseFunction'));
  expect(functions).toHaveLength(1);
  const [functionId] = functions[0]!;
  expect(integrationTarget(routeOf(PAUSE_ROUTE))).toBe(functionId);
  expect(integrationTarget(routeOf(RESUME_ROUTE))).toBe(functionId);
});

it('throttles both routes on their own route keys', () => {
  const settings = template.routeSettings();
  const expected = { ThrottlingRateLimit: PAUSE_THROTTLE.rateLimit, ThrottlingBurstLimit: PAUSE_THROTTLE.burstLimit };
  expect(settings[PAUSE_ROUTE]).toEqual(expected);
  expect(settings[RESUME_ROUTE]).toEqual(expected);
});

it('gives the function read-write item access (the schedule entry is deleted on resume), nothing table-wide', () => {
  expect(TABLE_ACCESS['subscription-pause']).toBe('read-write');
  const dynamo = template.dynamoActionsOf('SubscriptionPauseFunction');
  expect(dynamo).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query']));
  expect(dynamo).not.toContain('dynamodb:*');
  expect(dynamo).not.toContain('dynamodb:DeleteTable');
});

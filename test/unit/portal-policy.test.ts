import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '#adapters/config';
import { parseConfig } from '#core/config-validation';
import { AppError } from '#core/errors';
import { assertFlowAllowed, type PortalFlowType, parsePortalSessionRequest, portalReturnUrl, portalRoleFor, roleAllowsFlow } from '#core/portal-policy';

const config = parseConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')));

function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('portal role resolution (deny by default)', () => {
  it.each([
    ['owner', 'owner'],
    ['member', 'member'],
    ['admin', 'member'],
    ['OWNER', 'member'],
    [undefined, 'member'],
    ['', 'member'],
    ['__proto__', 'member'],
    ['constructor', 'member'],
  ])('role claim %p gets the %s configuration', (claim, expected) => {
    expect(portalRoleFor(config.portal, claim as string | undefined)).toBe(expected);
  });
});

describe('flows each role may deep-link into', () => {
  const flows: PortalFlowType[] = ['payment_method_update', 'subscription_cancel', 'subscription_pause', 'subscription_update', 'subscription_update_confirm'];
  it.each([
    ['owner', [true, true, true, true, true]],
    ['member', [false, false, false, false, false]],
  ] as const)('%s', (role, expected) => {
    expect(flows.map((flow) => roleAllowsFlow(config.portal.roles[role]!, flow))).toEqual(expected);
  });

  it('refuses a flow with 403 flow_not_allowed', () => {
    const error = appError(() => assertFlowAllowed(config.portal, 'member', 'subscription_cancel'));
    expect([error.kind, error.code]).toEqual(['forbidden', 'flow_not_allowed']);
  });

  // The deep link needs the portal's subscription_pause feature, which only `pause.portal` turns on.
  it.each([
    ['pausing in the portal', { portal: true }, true],
    ['pausing in the app only', { portal: false }, false],
  ] as const)('the pause flow follows pause.portal: %s -> %p', (_name, portal, expected) => {
    const role = structuredClone(config.portal.roles.owner!);
    role.pause = { ...role.pause!, ...portal };
    expect(roleAllowsFlow(role, 'subscription_pause')).toBe(expected);
  });

  it('refuses the pause flow to a role without a pause block', () => {
    const role = structuredClone(config.portal.roles.owner!);
    delete role.pause;
    expect(roleAllowsFlow(role, 'subscription_pause')).toBe(false);
  });

  it('treats subscription updates without products as not allowed', () => {
    const role = structuredClone(config.portal.roles.owner!);
    role.features.subscriptionUpdate.products = [];
    expect(roleAllowsFlow(role, 'subscription_update')).toBe(false);
  });
});

describe('return URL allowlist (no open redirect)', () => {
  it.each([
    [undefined, 'https://links.lumenphotos.example/portal_redirect'],
    ['/portal_redirect', 'https://links.lumenphotos.example/portal_redirect'],
  ])('path %p -> %s', (path, url) => {
    expect(portalReturnUrl(config, path)).toBe(url);
  });

  it.each([
    'https://evil.example/portal_redirect',
    '//evil.example/portal_redirect',
    '/portal_redirect/../evil',
    '/portal_redirect?next=https://evil.example',
    '/checkout_redirect',
    '/',
    '',
  ])('refuses %p with 400 return_path_not_allowed', (path) => {
    const error = appError(() => portalReturnUrl(config, path));
    expect([error.kind, error.code]).toEqual(['invalid_request', 'return_path_not_allowed']);
  });
});

describe('request body', () => {
  it.each([
    ['no body', undefined, {}],
    ['an empty body', '', {}],
    ['an empty object', '{}', {}],
    ['a locale', '{"locale":"fr-CA"}', { locale: 'fr-CA' }],
    ['auto locale', '{"locale":"auto"}', { locale: 'auto' }],
    ['payment method flow', '{"flow":{"type":"payment_method_update"}}', { flow: { type: 'payment_method_update' } }],
    ['pause flow', '{"flow":{"type":"subscription_pause","subscriptionId":"sub_1"}}', { flow: { type: 'subscription_pause', subscriptionId: 'sub_1' } }],
    [
      'update confirm with default quantity',
      '{"flow":{"type":"subscription_update_confirm","subscriptionId":"sub_1","priceId":"price_9"}}',
      { flow: { type: 'subscription_update_confirm', subscriptionId: 'sub_1', priceId: 'price_9', quantity: 1 } },
    ],
  ])('accepts %s', (_name, body, expected) => {
    expect(parsePortalSessionRequest(body)).toEqual(expected);
  });

  it.each([
    ['malformed JSON', '{"flow":', 'invalid_json'],
    ['an unknown field', '{"customerId":"cus_123"}', 'invalid_request'],
    ['an unknown flow field', '{"flow":{"type":"payment_method_update","subscriptionId":"sub_1"}}', 'invalid_request'],
    ['an unknown flow type', '{"flow":{"type":"subscription_resume","subscriptionId":"sub_1"}}', 'invalid_request'],
    ['a pause flow without subscription', '{"flow":{"type":"subscription_pause"}}', 'invalid_request'],
    [
      'a pause flow with a duration (the portal offers those)',
      '{"flow":{"type":"subscription_pause","subscriptionId":"sub_1","resumesAt":"2030-01-01T00:00:00Z"}}',
      'invalid_request',
    ],
    ['a cancel flow without subscription', '{"flow":{"type":"subscription_cancel"}}', 'invalid_request'],
    ['a subscription id of another kind', '{"flow":{"type":"subscription_cancel","subscriptionId":"cus_1"}}', 'invalid_request'],
    ['update confirm without price', '{"flow":{"type":"subscription_update_confirm","subscriptionId":"sub_1"}}', 'invalid_request'],
    ['a zero quantity', '{"flow":{"type":"subscription_update_confirm","subscriptionId":"sub_1","priceId":"price_1","quantity":0}}', 'invalid_request'],
    ['an unsupported locale', '{"locale":"xx-YY"}', 'invalid_request'],
    ['a return URL instead of a path', '{"returnUrl":"https://evil.example"}', 'invalid_request'],
    ['an array', '[]', 'invalid_request'],
  ])('refuses %s: %s -> 400 %s', (_name, body, code) => {
    const error = appError(() => parsePortalSessionRequest(body));
    expect([error.kind, error.code]).toEqual(['invalid_request', code]);
  });
});

/**
 * Who may open which portal, where it returns to, and what the request body may say.
 * Pure rules, table-tested in test/unit/portal-policy.test.ts.
 */
import * as z from 'zod/mini';
import type { LinkoutConfig, PortalRole } from './config';
import { forbidden, invalidRequest } from './errors';
import { parseJsonBody } from './request-body';
import { siteUrl } from './site';

const PORTAL_FLOW_TYPES = ['payment_method_update', 'subscription_cancel', 'subscription_pause', 'subscription_update', 'subscription_update_confirm'] as const;
export type PortalFlowType = (typeof PORTAL_FLOW_TYPES)[number];

/** The locales Stripe's portal supports ('auto' picks the browser's). */
const PORTAL_LOCALES = [
  'auto',
  'bg',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'en-AU',
  'en-CA',
  'en-GB',
  'en-IE',
  'en-IN',
  'en-NZ',
  'en-SG',
  'es',
  'es-419',
  'et',
  'fi',
  'fil',
  'fr',
  'fr-CA',
  'hr',
  'hu',
  'id',
  'it',
  'ja',
  'ko',
  'lt',
  'lv',
  'ms',
  'mt',
  'nb',
  'nl',
  'pl',
  'pt',
  'pt-BR',
  'ro',
  'ru',
  'sk',
  'sl',
  'sv',
  'th',
  'tr',
  'vi',
  'zh',
  'zh-HK',
  'zh-TW',
] as const;

const subscriptionId = z.string().check(z.regex(/^sub_[A-Za-z0-9_]{1,250}$/, 'a Stripe subscription id (sub_...)'));
const priceId = z.string().check(z.regex(/^price_[A-Za-z0-9_]{1,250}$/, 'a Stripe price id (price_...)'));

const PortalFlowSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('payment_method_update') }),
  z.strictObject({ type: z.literal('subscription_cancel'), subscriptionId }),
  z.strictObject({ type: z.literal('subscription_pause'), subscriptionId }),
  z.strictObject({ type: z.literal('subscription_update'), subscriptionId }),
  z.strictObject({
    type: z.literal('subscription_update_confirm'),
    subscriptionId,
    priceId,
    quantity: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(10_000)), 1),
  }),
]);
export type PortalFlowRequest = z.infer<typeof PortalFlowSchema>;

/** POST /v1/portal-sessions body. Strict: an unknown field is a client bug worth a 400. */
export const PortalSessionRequestSchema = z.strictObject({
  flow: z.optional(PortalFlowSchema),
  locale: z.optional(z.enum(PORTAL_LOCALES, { error: `one of the locales Stripe's portal supports: ${PORTAL_LOCALES.join(', ')}` })),
  returnPath: z.optional(z.string().check(z.maxLength(200))),
});
export type PortalSessionRequest = z.infer<typeof PortalSessionRequestSchema>;

/** Parses the (optional) JSON body; an empty body means "the portal home page". */
export function parsePortalSessionRequest(body: string | undefined): PortalSessionRequest {
  return parseJsonBody(body, PortalSessionRequestSchema, { example: '{"flow": {"type": "payment_method_update"}}', optional: true });
}

/** The portal role a caller gets: their role claim when it names a configured role, else the least privileged. */
export function portalRoleFor(portal: LinkoutConfig['portal'], claimedRole: string | undefined): string {
  return claimedRole !== undefined && Object.hasOwn(portal.roles, claimedRole) ? claimedRole : portal.leastPrivilegedRole;
}

/** Whether a role's configuration enables a deep-link flow (Stripe needs the matching feature on). */
export function roleAllowsFlow(role: PortalRole, flow: PortalFlowType): boolean {
  const { paymentMethodUpdate, subscriptionCancel, subscriptionUpdate } = role.features;
  switch (flow) {
    case 'payment_method_update':
      return paymentMethodUpdate.enabled;
    case 'subscription_cancel':
      return subscriptionCancel.enabled;
    case 'subscription_pause':
      // The role's `pause.portal` is what turns the portal's subscription_pause feature on.
      return Boolean(role.pause?.portal);
    case 'subscription_update':
    case 'subscription_update_confirm':
      return subscriptionUpdate.enabled && subscriptionUpdate.products.length > 0;
  }
}

export function assertFlowAllowed(portal: LinkoutConfig['portal'], roleName: string, flow: PortalFlowType): void {
  const role = portal.roles[roleName];
  if (!role || !roleAllowsFlow(role, flow)) {
    throw forbidden('flow_not_allowed', `Your role in this account may not use the "${flow}" portal flow.`);
  }
}

/**
 * The portal's return URL: a path from the allowlist on the universal-link site. The client only
 * ever picks a path, never a URL, so the portal cannot be turned into an open redirect. Without a
 * path: the default (the first allowed one), also the portal configurations' default return URL.
 */
export function portalReturnUrl(config: Pick<LinkoutConfig, 'app' | 'portal'>, returnPath?: string): string {
  const path = returnPath ?? config.portal.returnPaths[0]!;
  if (!config.portal.returnPaths.includes(path)) {
    throw invalidRequest('return_path_not_allowed', `"${path}" is not an allowed return path; use one of: ${config.portal.returnPaths.join(', ')}.`);
  }
  return siteUrl(config.app, path);
}

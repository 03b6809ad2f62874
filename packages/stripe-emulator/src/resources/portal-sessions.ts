/**
 * Billing portal sessions: create only (Stripe cannot retrieve them later). Honours the configuration
 * (or the default one), return_url, locale, on_behalf_of, after_expiration and flow_data, rejecting a
 * flow whose feature the configuration disables. The URL opens the emulator's hosted portal page.
 */

import type { EmulatorContext, ResourceModule } from '../context';
import { invalidParameter, invalidRequest, missingParameter, noSuch } from '../errors';
import { requireObject } from '../lookup';
import {
  arrayOf,
  checkParams,
  expandPaths,
  optionalEnum,
  optionalInteger,
  optionalString,
  type ParamSpec,
  type Params,
  required,
  requireMaxLength,
} from '../params';
import { newId, type StripeObject } from '../store';
import { expand } from '../wire';
import { defaultConfiguration, requireUrl } from './portal-configurations';
import { isPausable } from './subscriptions';

const FLOW_TYPES = [
  'customer_update',
  'payment_method_update',
  'subscription_cancel',
  'subscription_pause',
  'subscription_update',
  'subscription_update_confirm',
] as const;
/** Flows that name no subscription (and take no flow_data object of their own). */
const CUSTOMER_FLOWS: readonly string[] = ['customer_update', 'payment_method_update'];
const AFTER_COMPLETION = ['hosted_confirmation', 'portal_homepage', 'redirect'] as const;
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

/** Which configuration feature each flow needs. */
const FLOW_FEATURE: Record<(typeof FLOW_TYPES)[number], { feature: string; label: string }> = {
  customer_update: { feature: 'customer_update', label: 'customer updates' },
  subscription_pause: { feature: 'subscription_pause', label: 'subscription pauses' },
  payment_method_update: { feature: 'payment_method_update', label: 'payment method updates' },
  subscription_cancel: { feature: 'subscription_cancel', label: 'subscription cancellations' },
  subscription_update: { feature: 'subscription_update', label: 'subscription updates' },
  subscription_update_confirm: { feature: 'subscription_update', label: 'subscription updates' },
};

const FLOW_DATA: ParamSpec = {
  type: 'value',
  after_completion: { type: 'value', redirect: { return_url: 'value' }, hosted_confirmation: { custom_message: 'value' } },
  subscription_cancel: { subscription: 'value', retention: { type: 'value', coupon_offer: { coupon: 'value' } } },
  subscription_pause: { subscription: 'value' },
  subscription_update: { subscription: 'value' },
  subscription_update_confirm: {
    subscription: 'value',
    items: [{ id: 'value', price: 'value', quantity: 'value' }],
    discounts: [{ coupon: 'value', promotion_code: 'value' }],
  },
};

/** An unopened session URL expires after 5 minutes; once opened, the visit lasts an hour (as with Stripe). */
const SESSION_OPEN_WITHIN_SECONDS = 5 * 60;
const SESSION_VISIT_SECONDS = 60 * 60;

/** The emulator's private record behind a session URL (never listed by the API). */
export interface PortalLink extends StripeObject {
  object: 'emulator.portal_link';
  session: string;
  completed: boolean;
  /** Unix seconds after which the URL no longer opens. */
  expiresAt: number;
  opened: boolean;
}

export function findPortalLink(context: EmulatorContext, secret: string): { link: PortalLink; session: StripeObject } | undefined {
  const link = context.store.get(secret, 'emulator.portal_link') as PortalLink | undefined;
  const session = link && context.store.get(link.session, 'billing_portal.session');
  if (!link || !session || context.now() > link.expiresAt) return undefined;
  if (!link.opened) {
    link.opened = true;
    link.expiresAt = context.now() + SESSION_VISIT_SECONDS;
  }
  return { link, session };
}

function flowOf(context: EmulatorContext, customer: StripeObject, configuration: StripeObject, data: Params): Params {
  const type = required(optionalEnum(data.type, 'flow_data[type]', FLOW_TYPES), 'flow_data[type]');
  for (const other of FLOW_TYPES) {
    if (other !== type && !CUSTOMER_FLOWS.includes(other) && data[other] !== undefined) {
      throw invalidParameter(`flow_data[${other}]`, `\`flow_data[${other}]\` can only be set when \`flow_data[type]\` is \`${other}\`.`);
    }
  }
  const { feature, label } = FLOW_FEATURE[type];
  if (!configuration.features[feature].enabled) {
    throw invalidParameter(
      'flow_data[type]',
      `You can't create a portal session with a \`${type}\` flow because ${label} are disabled in the portal configuration (\`${configuration.id}\`).`,
    );
  }
  const flow: Params = {
    after_completion: afterCompletionOf(data.after_completion),
    // The customer_update flow has no settings of its own: Stripe shows it as an empty object.
    customer_update: type === 'customer_update' ? {} : null,
    subscription_cancel: null,
    subscription_pause: null,
    subscription_update: null,
    subscription_update_confirm: null,
    type,
  };
  if (CUSTOMER_FLOWS.includes(type)) return flow;
  const param = `flow_data[${type}]`;
  if (data[type] === undefined || data[type] === '') throw missingParameter(`${param}[subscription]`);
  const subscription = subscriptionOf(
    context,
    customer,
    required(optionalString(data[type].subscription, `${param}[subscription]`), `${param}[subscription]`),
    `${param}[subscription]`,
  );
  if (type === 'subscription_cancel') {
    const retention = data.subscription_cancel.retention;
    if (retention && optionalEnum(retention.type, `${param}[retention][type]`, ['coupon_offer'] as const) && !retention.coupon_offer?.coupon) {
      throw missingParameter(`${param}[retention][coupon_offer][coupon]`);
    }
    flow.subscription_cancel = {
      retention: retention ? { coupon_offer: { coupon: retention.coupon_offer.coupon }, type: 'coupon_offer' } : null,
      subscription: subscription.id,
    };
  } else if (type === 'subscription_pause') {
    if (!isPausable(subscription)) {
      throw invalidParameter(
        `${param}[subscription]`,
        `The subscription \`${subscription.id}\` cannot be paused because its status is \`${subscription.status}\`.`,
      );
    }
    flow.subscription_pause = { subscription: subscription.id };
  } else if (type === 'subscription_update') {
    flow.subscription_update = { subscription: subscription.id };
  } else {
    flow.subscription_update_confirm = {
      discounts: [],
      items: [confirmItemOf(context, configuration, subscription, data.subscription_update_confirm.items, param)],
      subscription: subscription.id,
    };
  }
  return flow;
}

function subscriptionOf(context: EmulatorContext, customer: StripeObject, id: string, param: string): StripeObject {
  const subscription = context.store.get(id, 'subscription');
  if (!subscription) throw noSuch('subscription', id, param);
  if (subscription.customer !== customer.id) throw invalidParameter(param, `The subscription \`${id}\` does not belong to the customer \`${customer.id}\`.`);
  if (subscription.status === 'canceled') throw invalidParameter(param, `The subscription \`${id}\` is canceled and cannot be managed in the portal.`);
  return subscription;
}

function confirmItemOf(context: EmulatorContext, configuration: StripeObject, subscription: StripeObject, itemsParam: unknown, param: string) {
  const items = arrayOf(itemsParam);
  if (items.length === 0) throw missingParameter(`${param}[items]`);
  if (items.length > 1) throw invalidParameter(`${param}[items]`, 'Invalid array: only one item can be updated in this flow.');
  const item = items[0]!;
  const itemId = required(optionalString(item.id, `${param}[items][0][id]`), `${param}[items][0][id]`);
  if (!subscription.items.data.some((candidate: StripeObject) => candidate.id === itemId)) {
    throw invalidParameter(`${param}[items][0][id]`, `The subscription item \`${itemId}\` does not belong to the subscription \`${subscription.id}\`.`);
  }
  const priceId = optionalString(item.price, `${param}[items][0][price]`);
  if (priceId) {
    if (!context.store.get(priceId, 'price')) throw noSuch('price', priceId, `${param}[items][0][price]`);
    if (!offeredPrices(configuration).includes(priceId)) {
      throw invalidParameter(
        `${param}[items][0][price]`,
        `The price \`${priceId}\` is not one of the prices offered by the portal configuration (\`${configuration.id}\`).`,
      );
    }
  }
  const quantity = optionalInteger(item.quantity, `${param}[items][0][quantity]`);
  if (quantity !== undefined && quantity < 1)
    throw invalidParameter(`${param}[items][0][quantity]`, 'Invalid quantity: must be at least 1.', 'parameter_invalid_integer');
  if (!priceId && quantity === undefined) throw missingParameter(`${param}[items][0][price]`);
  return { id: itemId, price: priceId ?? null, quantity: quantity ?? null };
}

/** Every price id the configuration offers for subscription updates. */
export function offeredPrices(configuration: StripeObject): string[] {
  return configuration.features.subscription_update.products.flatMap((product: StripeObject) => product.prices as string[]);
}

function afterExpirationOf(context: EmulatorContext, value: Params | '' | undefined) {
  if (value === undefined || value === '') return null;
  const type = required(optionalEnum(value.type, 'after_expiration[type]', ['customer_login'] as const), 'after_expiration[type]');
  const expiresAt = optionalInteger(value.customer_login?.expires_at, 'after_expiration[customer_login][expires_at]') ?? null;
  if (expiresAt !== null && expiresAt <= context.now()) {
    throw invalidParameter('after_expiration[customer_login][expires_at]', 'Invalid timestamp: must be in the future.', 'parameter_invalid_integer');
  }
  return { customer_login: { expires_at: expiresAt }, type };
}

function afterCompletionOf(value: Params | undefined) {
  const type = optionalEnum(value?.type, 'flow_data[after_completion][type]', AFTER_COMPLETION) ?? 'portal_homepage';
  let redirect = null;
  if (type === 'redirect') {
    const returnUrl = required(
      optionalString(value?.redirect?.return_url, 'flow_data[after_completion][redirect][return_url]'),
      'flow_data[after_completion][redirect][return_url]',
    );
    requireUrl(returnUrl, 'flow_data[after_completion][redirect][return_url]');
    redirect = { return_url: returnUrl };
  } else if (value?.redirect !== undefined) {
    throw invalidParameter('flow_data[after_completion][redirect]', '`redirect` can only be set when `flow_data[after_completion][type]` is `redirect`.');
  }
  const message = optionalString(value?.hosted_confirmation?.custom_message, 'flow_data[after_completion][hosted_confirmation][custom_message]');
  if (message) requireMaxLength(message, 'flow_data[after_completion][hosted_confirmation][custom_message]', 500);
  return {
    hosted_confirmation: type === 'hosted_confirmation' ? { custom_message: message ?? null } : null,
    redirect,
    type,
  };
}

export const portalSessions: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'POST',
      path: '/v1/billing_portal/sessions',
      handle({ params, meta }) {
        checkParams(params, {
          after_expiration: { type: 'value', customer_login: { expires_at: 'value' } },
          customer: 'value',
          customer_account: 'value',
          configuration: 'value',
          flow_data: FLOW_DATA,
          locale: 'value',
          on_behalf_of: 'value',
          return_url: 'value',
        });
        const customer = requireObject(context.store, 'customer', required(optionalString(params.customer, 'customer'), 'customer'), 'customer');
        // Checked before the default configuration may be created, so a refused request changes nothing.
        const locale = optionalEnum(params.locale, 'locale', PORTAL_LOCALES) ?? null;
        const configurationId = optionalString(params.configuration, 'configuration');
        const configuration = configurationId
          ? requireObject(context.store, 'billing_portal.configuration', configurationId, 'configuration')
          : defaultConfiguration(context, meta);
        if (!configuration.active) throw invalidParameter('configuration', `The configuration \`${configuration.id}\` is not active.`);
        const returnUrl = optionalString(params.return_url, 'return_url') || configuration.default_return_url;
        if (returnUrl) requireUrl(returnUrl, 'return_url');
        const onBehalfOf = optionalString(params.on_behalf_of, 'on_behalf_of') ?? null;
        if (onBehalfOf && !onBehalfOf.startsWith('acct_')) throw noSuch('account', onBehalfOf, 'on_behalf_of');
        if (params.flow_data === '') throw invalidRequest('Invalid flow_data: must be an object.', 'flow_data');
        const flow = params.flow_data ? flowOf(context, customer, configuration, params.flow_data) : null;
        const afterExpiration = afterExpirationOf(context, params.after_expiration);
        const secret = newId('sess', 32).slice(5);
        const session = store.put<StripeObject>({
          id: newId('bps'),
          object: 'billing_portal.session',
          after_expiration: afterExpiration,
          configuration: configuration.id,
          created: context.now(),
          customer: customer.id,
          customer_account: null,
          flow,
          livemode: false,
          locale,
          on_behalf_of: onBehalfOf,
          return_url: returnUrl ?? null,
          url: `${context.baseUrl()}/p/session/${secret}`,
        });
        store.put({
          id: secret,
          object: 'emulator.portal_link',
          session: session.id,
          completed: false,
          opened: false,
          expiresAt: context.now() + SESSION_OPEN_WITHIN_SECONDS,
        } satisfies PortalLink);
        context.emit('billing_portal.session.created', session, meta);
        return expand(session, expandPaths(params), store);
      },
    },
  ];
};

/**
 * Coupons, promotion codes and the discounts they become once redeemed on a customer, a subscription
 * or an invoice (API 2026: a discount names its coupon under `source`). Invoices read the discounts'
 * coupons to show the discounted total; nothing else is prorated or discounted.
 */
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { invalidParameter, invalidRequest, StripeApiError } from '../errors';
import { requireObject } from '../lookup';
import {
  arrayOf,
  checkParams,
  expandPaths,
  mergeMetadata,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalString,
  type ParamSpec,
  type Params,
  required,
} from '../params';
import { listRoute, retrieveRoute } from '../routes';
import { newId, type StripeObject } from '../store';
import { emitIfChanged, expand, previousAttributes } from '../wire';

const DURATIONS = ['forever', 'once', 'repeating'] as const;

/** The `discounts[]` element every discountable resource accepts. */
export const DISCOUNT_PARAM: ParamSpec = { coupon: 'value', discount: 'value', promotion_code: 'value' };

const RESTRICTIONS: ParamSpec = { first_time_transaction: 'value', minimum_amount: 'value', minimum_amount_currency: 'value' };

function couponFromParams(context: EmulatorContext, params: Params): StripeObject {
  const percentOff = optionalPercent(params.percent_off);
  const amountOff = optionalInteger(params.amount_off, 'amount_off');
  if (percentOff !== undefined && amountOff !== undefined) throw invalidRequest('You may only specify one of these parameters: amount_off, percent_off.');
  if (percentOff === undefined && amountOff === undefined) throw invalidRequest('You must pass either `amount_off` or `percent_off` to create a coupon.');
  const currency = optionalString(params.currency, 'currency')?.toLowerCase();
  if (amountOff !== undefined && !currency) throw invalidParameter('currency', 'You must pass currency when passing amount_off.', 'parameter_missing');
  const duration = optionalEnum(params.duration, 'duration', DURATIONS) ?? 'once';
  const months = optionalInteger(params.duration_in_months, 'duration_in_months');
  if (duration === 'repeating' && months === undefined) {
    throw invalidParameter('duration_in_months', 'You must pass duration_in_months when duration is repeating.', 'parameter_missing');
  }
  if (duration !== 'repeating' && months !== undefined) {
    throw invalidParameter('duration_in_months', 'duration_in_months can only be passed when duration is repeating.');
  }
  return {
    id: optionalString(params.id, 'id') ?? newId('x', 8).slice(2),
    object: 'coupon',
    amount_off: amountOff ?? null,
    created: context.now(),
    currency: amountOff !== undefined ? currency! : null,
    duration,
    duration_in_months: months ?? null,
    livemode: false,
    max_redemptions: optionalInteger(params.max_redemptions, 'max_redemptions') ?? null,
    metadata: mergeMetadata({}, params.metadata),
    name: optionalString(params.name, 'name') ?? null,
    percent_off: percentOff ?? null,
    redeem_by: optionalInteger(params.redeem_by, 'redeem_by') ?? null,
    times_redeemed: 0,
    valid: true,
  };
}

function optionalPercent(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const percent = Number(value);
  if (!Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw invalidParameter('percent_off', 'Invalid percent_off: must be greater than 0 and less than or equal to 100.');
  }
  return percent;
}

/** A coupon can be redeemed until its redeem_by date or its max_redemptions, as Stripe's `valid` says. */
function redeemableCoupon(context: EmulatorContext, id: string, param: string): StripeObject {
  const coupon = requireObject(context.store, 'coupon', id, param);
  const exhausted = coupon.max_redemptions !== null && coupon.times_redeemed >= coupon.max_redemptions;
  const expired = coupon.redeem_by !== null && coupon.redeem_by <= context.now();
  if (exhausted || expired) {
    coupon.valid = false;
    throw invalidParameter(param, `Coupon expired: ${coupon.id}`, 'coupon_expired');
  }
  return coupon;
}

function redeemablePromotionCode(context: EmulatorContext, id: string, param: string): StripeObject {
  const code = requireObject(context.store, 'promotion_code', id, param);
  const exhausted = code.max_redemptions !== null && code.times_redeemed >= code.max_redemptions;
  const expired = code.expires_at !== null && code.expires_at <= context.now();
  if (!code.active || exhausted || expired) throw invalidParameter(param, `This promotion code cannot be redeemed: '${code.code}'`);
  return code;
}

function countRedemption(coupon: StripeObject, promotionCode: StripeObject | null): void {
  coupon.times_redeemed += 1;
  if (coupon.max_redemptions !== null && coupon.times_redeemed >= coupon.max_redemptions) coupon.valid = false;
  if (promotionCode) promotionCode.times_redeemed += 1;
}

/** What a discount applies to, besides its customer. */
export interface DiscountTarget {
  customer: string;
  subscription?: string;
  invoice?: string;
}

/** Where the coupon of a discount comes from: a coupon id or a promotion code id (as in `discounts[]`). */
export interface DiscountSource {
  coupon?: string;
  promotion_code?: string;
}

/** Redeems a coupon or promotion code into a stored discount; `param` names the parameter in errors. */
function redeemDiscount(context: EmulatorContext, source: DiscountSource, target: DiscountTarget, param: string): StripeObject {
  if (source.coupon && source.promotion_code) throw invalidRequest(`You may only specify one of these parameters: ${param}[coupon], ${param}[promotion_code].`);
  const promotionCode = source.promotion_code ? redeemablePromotionCode(context, source.promotion_code, paramName(param, 'promotion_code')) : null;
  const couponId = promotionCode ? promotionCode.promotion.coupon : required(source.coupon, paramName(param, 'coupon'));
  const coupon = redeemableCoupon(context, couponId, paramName(param, promotionCode ? 'promotion_code' : 'coupon'));
  countRedemption(coupon, promotionCode);
  const start = context.now();
  const discount = context.store.put<StripeObject>({
    id: newId('di'),
    object: 'discount',
    checkout_session: null,
    customer: target.customer,
    customer_account: null,
    end: discountEnd(coupon, start),
    invoice: target.invoice ?? null,
    invoice_item: null,
    promotion_code: promotionCode?.id ?? null,
    source: { coupon: coupon.id, type: 'coupon' },
    start,
    subscription: target.subscription ?? null,
    subscription_item: null,
  });
  rememberTerms(discount, coupon);
  return discount;
}

/** The coupon terms each discount was redeemed with: they outlive the coupon's deletion, as in Stripe. */
const redeemedTerms = new WeakMap<StripeObject, Pick<StripeObject, 'percent_off' | 'amount_off' | 'currency'>>();

function rememberTerms(discount: StripeObject, coupon: StripeObject): void {
  redeemedTerms.set(discount, { percent_off: coupon.percent_off, amount_off: coupon.amount_off, currency: coupon.currency });
}

/** `coupon` / `promotion_code` are top-level parameters on customers, and nested in `discounts[i]` elsewhere. */
function paramName(prefix: string, field: string): string {
  return prefix ? `${prefix}[${field}]` : field;
}

function discountEnd(coupon: StripeObject, start: number): number | null {
  if (coupon.duration !== 'repeating') return null;
  const date = new Date(start * 1000);
  date.setUTCMonth(date.getUTCMonth() + coupon.duration_in_months);
  return Math.floor(date.getTime() / 1000);
}

/**
 * Redeems `discounts[]` (coupon, promotion_code or an existing discount id) for a subscription or
 * invoice and returns the discount ids, as those objects list them.
 */
export function redeemDiscounts(context: EmulatorContext, value: unknown, target: DiscountTarget): string[] {
  return arrayOf<Params>(value).map((element, index) => {
    const param = `discounts[${index}]`;
    const existing = optionalString(element.discount, `${param}[discount]`);
    if (existing) return requireObject(context.store, 'discount', existing, `${param}[discount]`).id;
    return redeemDiscount(
      context,
      { coupon: optionalString(element.coupon, `${param}[coupon]`), promotion_code: optionalString(element.promotion_code, `${param}[promotion_code]`) },
      target,
      param,
    ).id;
  });
}

/**
 * Sets (or with `null` removes) a customer's discount from its `coupon` / `promotion_code`
 * parameters: customer.discount.created, .updated (a different coupon, same discount) or .deleted.
 */
export function setCustomerDiscount(context: EmulatorContext, customer: StripeObject, source: DiscountSource | null, meta: RequestMeta): void {
  const current: StripeObject | null = customer.discount ? (context.store.get(customer.discount.id, 'discount') ?? null) : null;
  if (!source) {
    if (!current) return;
    customer.discount = null;
    context.emit('customer.discount.deleted', current, meta);
    return;
  }
  if (!current) {
    context.emit('customer.discount.created', attachCustomerDiscount(context, customer, source), meta);
    return;
  }
  const redeemed = redeemDiscount(context, source, { customer: customer.id }, '');
  // The customer keeps one discount object whose coupon changes; the redeemed copy is not kept.
  context.store.markDeleted(redeemed.id);
  const before = structuredClone(current);
  Object.assign(current, { end: redeemed.end, promotion_code: redeemed.promotion_code, source: redeemed.source, start: redeemed.start });
  redeemedTerms.set(current, redeemedTerms.get(redeemed)!);
  customer.discount = structuredClone(current);
  context.emit('customer.discount.updated', current, meta, previousAttributes(before, current));
}

/** Redeems a first discount for a customer and sets `customer.discount`; the caller announces it (customer.discount.created). */
export function attachCustomerDiscount(context: EmulatorContext, customer: StripeObject, source: DiscountSource): StripeObject {
  const discount = redeemDiscount(context, source, { customer: customer.id }, '');
  customer.discount = structuredClone(discount);
  return discount;
}

/** Throws what redeeming would throw, without redeeming: a create request can fail before it creates anything. */
export function assertRedeemable(context: EmulatorContext, source: DiscountSource, prefix = ''): void {
  const [couponParam, codeParam] = [paramName(prefix, 'coupon'), paramName(prefix, 'promotion_code')];
  if (source.coupon && source.promotion_code) throw invalidRequest(`You may only specify one of these parameters: ${couponParam}, ${codeParam}.`);
  const couponId = source.promotion_code
    ? redeemablePromotionCode(context, source.promotion_code, codeParam).promotion.coupon
    : required(source.coupon, couponParam);
  redeemableCoupon(context, couponId, source.promotion_code ? codeParam : couponParam);
}

/** The same check for each element of `discounts[]`. */
export function assertDiscountsRedeemable(context: EmulatorContext, value: unknown): void {
  arrayOf<Params>(value).forEach((element, index) => {
    const param = `discounts[${index}]`;
    if (element.discount) requireObject(context.store, 'discount', String(element.discount), `${param}[discount]`);
    else
      assertRedeemable(
        context,
        { coupon: optionalString(element.coupon, `${param}[coupon]`), promotion_code: optionalString(element.promotion_code, `${param}[promotion_code]`) },
        param,
      );
  });
}

/** The customer-discount parameters of customer create/update: a coupon, a promotion code, or '' to remove. */
export function customerDiscountSource(params: Params): DiscountSource | null | undefined {
  if (params.coupon === undefined && params.promotion_code === undefined) return undefined;
  const coupon = optionalString(params.coupon, 'coupon');
  const promotionCode = optionalString(params.promotion_code, 'promotion_code');
  if (!coupon && !promotionCode) return null;
  return { coupon: coupon || undefined, promotion_code: promotionCode || undefined };
}

/** A deleted discount as Stripe returns it from DELETE …/discount: the discount without `end`, marked deleted. */
function deletedDiscount(discount: StripeObject): StripeObject {
  const deleted: StripeObject = { ...structuredClone(discount), deleted: true };
  delete deleted.end;
  return deleted;
}

/** The amount a discount takes off `subtotal` (in `currency`): a percentage, or a fixed amount of the same currency. */
export function discountAmount(context: EmulatorContext, discountId: string, subtotal: number, currency: string): number {
  const discount = context.store.get(discountId, 'discount');
  const terms = discount ? redeemedTerms.get(discount) : undefined;
  if (!terms || subtotal <= 0) return 0;
  if (terms.percent_off !== null) return Math.round((subtotal * terms.percent_off) / 100);
  return terms.currency === currency ? Math.min(terms.amount_off, subtotal) : 0;
}

function promotionCodeFromParams(context: EmulatorContext, params: Params): StripeObject {
  // `promotion[coupon]` since API 2025; the CLI's fixtures still send the older top-level `coupon`.
  const couponId = optionalString(params.promotion?.coupon, 'promotion[coupon]') ?? optionalString(params.coupon, 'coupon');
  const coupon = requireObject(context.store, 'coupon', required(couponId, 'promotion[coupon]'), params.coupon ? 'coupon' : 'promotion[coupon]');
  const code = optionalString(params.code, 'code') ?? newId('x', 8).slice(2).toUpperCase();
  if (context.store.all('promotion_code').some((existing) => existing.active && existing.code === code)) {
    throw invalidParameter('code', 'An active promotion code with `code` already exists.', 'resource_already_exists');
  }
  const restrictions = (params.restrictions || {}) as Params;
  return {
    id: newId('promo'),
    object: 'promotion_code',
    active: optionalBoolean(params.active, 'active') ?? true,
    code,
    created: context.now(),
    customer: params.customer ? requireObject(context.store, 'customer', String(params.customer), 'customer').id : null,
    customer_account: null,
    expires_at: optionalInteger(params.expires_at, 'expires_at') ?? null,
    livemode: false,
    max_redemptions: optionalInteger(params.max_redemptions, 'max_redemptions') ?? null,
    metadata: mergeMetadata({}, params.metadata),
    promotion: { coupon: coupon.id, type: 'coupon' },
    restrictions: {
      first_time_transaction: optionalBoolean(restrictions.first_time_transaction, 'restrictions[first_time_transaction]') ?? false,
      minimum_amount: optionalInteger(restrictions.minimum_amount, 'restrictions[minimum_amount]') ?? null,
      minimum_amount_currency: optionalString(restrictions.minimum_amount_currency, 'restrictions[minimum_amount_currency]') ?? null,
    },
    times_redeemed: 0,
  };
}

export const coupons: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'POST',
      path: '/v1/coupons',
      handle({ params, meta }) {
        checkParams(params, {
          amount_off: 'value',
          currency: 'value',
          duration: 'value',
          duration_in_months: 'value',
          id: 'value',
          max_redemptions: 'value',
          metadata: 'map',
          name: 'value',
          percent_off: 'value',
          redeem_by: 'value',
        });
        const coupon = couponFromParams(context, params);
        if (store.get(coupon.id) || store.isDeleted(coupon.id)) throw invalidParameter('id', 'Coupon already exists.', 'resource_already_exists');
        store.put(coupon);
        context.emit('coupon.created', coupon, meta);
        return expand(coupon, expandPaths(params), store);
      },
    },
    retrieveRoute(context, '/v1/coupons/:id', 'coupon'),
    {
      method: 'POST',
      path: '/v1/coupons/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, { metadata: 'map', name: 'value' });
        const coupon = requireObject(store, 'coupon', pathParams.id!);
        const before = structuredClone(coupon);
        if (params.name !== undefined) coupon.name = optionalString(params.name, 'name') || null;
        coupon.metadata = mergeMetadata(coupon.metadata, params.metadata);
        emitIfChanged(context, 'coupon.updated', before, coupon, meta);
        return expand(coupon, expandPaths(params), store);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/coupons/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        // Discounts already redeemed from the coupon stay; it can no longer be redeemed.
        const coupon = requireObject(store, 'coupon', pathParams.id!);
        store.markDeleted(coupon.id);
        context.emit('coupon.deleted', coupon, meta);
        return { id: coupon.id, object: 'coupon', deleted: true };
      },
    },
    listRoute(context, '/v1/coupons', 'coupon'),
    {
      method: 'POST',
      path: '/v1/promotion_codes',
      handle({ params, meta }) {
        checkParams(params, {
          promotion: { coupon: 'value', type: 'value' },
          coupon: 'value',
          active: 'value',
          code: 'value',
          customer: 'value',
          expires_at: 'value',
          max_redemptions: 'value',
          metadata: 'map',
          restrictions: RESTRICTIONS,
        });
        const code = store.put(promotionCodeFromParams(context, params));
        context.emit('promotion_code.created', code, meta);
        return expand(code, expandPaths(params), store);
      },
    },
    retrieveRoute(context, '/v1/promotion_codes/:id', 'promotion_code'),
    {
      method: 'POST',
      path: '/v1/promotion_codes/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, { active: 'value', metadata: 'map' });
        const code = requireObject(store, 'promotion_code', pathParams.id!);
        const before = structuredClone(code);
        const active = optionalBoolean(params.active, 'active');
        if (active !== undefined) code.active = active;
        code.metadata = mergeMetadata(code.metadata, params.metadata);
        emitIfChanged(context, 'promotion_code.updated', before, code, meta);
        return expand(code, expandPaths(params), store);
      },
    },
    listRoute(context, '/v1/promotion_codes', 'promotion_code', {
      filters: { active: 'value', code: 'value', coupon: 'value', customer: 'value', customer_account: 'value' },
      where(params) {
        const active = optionalBoolean(params.active, 'active');
        const code = optionalString(params.code, 'code');
        const coupon = optionalString(params.coupon, 'coupon');
        const customer = optionalString(params.customer, 'customer');
        return (promotion) =>
          (active === undefined || promotion.active === active) &&
          (code === undefined || promotion.code === code) &&
          (coupon === undefined || promotion.promotion.coupon === coupon) &&
          (customer === undefined || promotion.customer === customer);
      },
    }),
    {
      method: 'DELETE',
      path: '/v1/customers/:id/discount',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        const customer = requireObject(store, 'customer', pathParams.id!);
        const discount = customer.discount ? store.get(customer.discount.id, 'discount') : undefined;
        if (!discount) throw noActiveDiscount('customer', customer.id);
        setCustomerDiscount(context, customer, null, meta);
        return deletedDiscount(discount);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/subscriptions/:id/discount',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        const subscription = requireObject(store, 'subscription', pathParams.id!);
        const discount = subscription.discounts.length > 0 ? store.get(subscription.discounts[0], 'discount') : undefined;
        if (!discount) throw noActiveDiscount('subscription', subscription.id);
        removeSubscriptionDiscounts(context, subscription, meta);
        return deletedDiscount(discount);
      },
    },
  ];
};

function noActiveDiscount(kind: string, id: string): StripeApiError {
  return new StripeApiError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No active discount for ${kind}: '${id}'` });
}

/** Discounts a change added to and removed from a subscription. */
export interface DiscountChanges {
  added: StripeObject[];
  removed: StripeObject[];
}

/** Replaces a subscription's discounts with those redeemed from `discounts[]` ('' removes them all); no events. */
export function replaceSubscriptionDiscounts(context: EmulatorContext, subscription: StripeObject, value: unknown): DiscountChanges {
  const previous: string[] = subscription.discounts;
  const next = redeemDiscounts(context, value, { customer: subscription.customer, subscription: subscription.id });
  subscription.discounts = next;
  const objects = (ids: string[]) => ids.map((id) => context.store.get(id, 'discount')).filter((found): found is StripeObject => found !== undefined);
  return {
    // A discount named by id (e.g. the customer's) already existed; only this subscription's redemptions are new.
    added: objects(next.filter((id) => !previous.includes(id))).filter((discount) => discount.subscription === subscription.id),
    removed: objects(previous.filter((id) => !next.includes(id))),
  };
}

/** customer.discount.deleted for each removed discount, customer.discount.created for each added one. */
export function announceDiscountChanges(context: EmulatorContext, changes: DiscountChanges, meta: RequestMeta): void {
  for (const discount of changes.removed) context.emit('customer.discount.deleted', discount, meta);
  for (const discount of changes.added) context.emit('customer.discount.created', discount, meta);
}

/**
 * The discounts a subscription request asks for: `discounts[]`, or the older `coupon` /
 * `promotion_code` parameters; undefined when it names none.
 */
export function requestedSubscriptionDiscounts(params: Params): unknown {
  if (params.discounts !== undefined) return params.discounts;
  if (params.coupon === undefined && params.promotion_code === undefined) return undefined;
  const source = customerDiscountSource(params);
  return source ? [source] : '';
}

function removeSubscriptionDiscounts(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): void {
  const before = structuredClone(subscription);
  announceDiscountChanges(context, replaceSubscriptionDiscounts(context, subscription, ''), meta);
  context.emit('customer.subscription.updated', subscription, meta, previousAttributes(before, subscription));
}

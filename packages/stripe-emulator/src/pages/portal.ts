/**
 * The hosted customer portal behind a session URL: server-rendered HTML, no JavaScript. It shows the
 * customer's subscriptions and offers only what the session's configuration enables; every action is
 * a form POST that changes state through the same operations as the API (so it emits the same events).
 *
 *   GET  /p/session/:secret                     home, or the session's flow until it is completed
 *   POST /p/session/:secret/cancel              subscription=<id> [reason=<feedback>]
 *   POST /p/session/:secret/renew               subscription=<id> (undo a cancellation at period end)
 *   POST /p/session/:secret/switch              subscription=<id> price=<id> [item=<si_>] [quantity=<n>]
 *   POST /p/session/:secret/payment_method      card_number, exp_month, exp_year
 *   POST /p/session/:secret/pause               subscription=<id> duration=indefinite|<interval>_<count> (one the configuration offers)
 *   POST /p/session/:secret/resume              subscription=<id> (a paused subscription)
 *   POST /p/session/:secret/customer            email, name, phone (those the configuration's allowed_updates list)
 *
 * Stable hooks for browser tests: data-testid="cancel-subscription", "switch-price",
 * "update-payment-method", "renew-subscription", "pause-subscription", "resume-subscription",
 * "update-customer" (the submit buttons), "pause-duration" (the duration choice), "invoice-history"
 * (the section), "return-link".
 */
import { type EmulatorContext, NO_REQUEST } from '../context';
import { StripeApiError } from '../errors';
import type { Params } from '../params';
import { updateCustomer } from '../resources/customers';
import { formatAmount } from '../resources/invoices';
import { attachPaymentMethod, createCardPaymentMethod } from '../resources/payment-methods';
import { findPortalLink, offeredPrices, type PortalLink } from '../resources/portal-sessions';
import {
  addInterval,
  CANCELLATION_FEEDBACK,
  cancelSubscription,
  isPausable,
  pauseSubscription,
  resumeSubscription,
  scheduledResumeAt,
  updateSubscription,
} from '../resources/subscriptions';
import type { StripeObject } from '../store';
import { newestFirst } from '../wire';
import { escapeHtml, htmlResponse, type PageResponse, redirectResponse } from './html';

interface Portal {
  context: EmulatorContext;
  link: PortalLink;
  session: StripeObject;
  configuration: StripeObject;
  customer: StripeObject;
  base: string;
}

/** The customer fields this plain page can edit (address, shipping and tax ids are left to the API). */
const EDITABLE_CUSTOMER_FIELDS = ['email', 'name', 'phone'] as const;

export function handlePortalPage(context: EmulatorContext, method: string, url: URL, form: Params): PageResponse {
  const match = /^\/p\/session\/([A-Za-z0-9]+)(?:\/(cancel|renew|switch|payment_method|pause|resume|customer))?\/?$/.exec(url.pathname);
  const found = match && findPortalLink(context, match[1]!);
  if (!match || !found) return page(404, 'Session not found', '<p>This portal link is invalid or has expired.</p>');
  const configuration = context.store.get(found.session.configuration, 'billing_portal.configuration');
  const customer = context.store.get(found.session.customer, 'customer');
  if (!configuration || !customer) return page(410, 'Session ended', '<p>This customer no longer exists.</p>');
  const portal: Portal = { context, ...found, configuration, customer, base: `/p/session/${match[1]}` };
  const action = match[2];
  try {
    if (method === 'GET' && !action) return renderGet(portal, url);
    if (method === 'POST' && action) return performAction(portal, action, form);
    return page(405, 'Not allowed', '<p>Use the portal page.</p>');
  } catch (error) {
    if (error instanceof StripeApiError)
      return page(error.status === 404 ? 404 : 400, 'Something went wrong', `<p class="error">${escapeHtml(error.message)}</p>${homeLink(portal)}`);
    throw error;
  }
}

// ---------- rendering ----------

function renderGet(portal: Portal, url: URL): PageResponse {
  const { flow } = portal.session;
  if (flow && !portal.link.completed) return renderFlow(portal, flow);
  if (flow && portal.link.completed && flow.after_completion.type === 'hosted_confirmation') {
    return confirmation(portal, flow.after_completion.hosted_confirmation?.custom_message ?? 'Your changes have been saved.');
  }
  return renderHome(portal, url.searchParams.get('notice'));
}

function renderHome(portal: Portal, notice: string | null): PageResponse {
  const { features } = portal.configuration;
  const subscriptions = newestFirst(portal.context.store.all('subscription').filter((subscription) => subscription.customer === portal.customer.id));
  const sections = [
    notice ? `<p class="notice" data-testid="notice">${escapeHtml(notice)}</p>` : '',
    '<h2>Current subscriptions</h2>',
    subscriptions.length === 0 ? '<p>No subscriptions.</p>' : subscriptions.map((subscription) => subscriptionCard(portal, subscription, true)).join('\n'),
    features.payment_method_update.enabled ? paymentMethodSection(portal) : '',
    features.customer_update.enabled ? customerSection(portal) : '',
    features.invoice_history.enabled ? invoiceHistory(portal) : '',
  ];
  return page(200, 'Billing', sections.join('\n'), portal);
}

function renderFlow(portal: Portal, flow: StripeObject): PageResponse {
  if (flow.type === 'payment_method_update') return page(200, 'Update payment method', paymentMethodSection(portal), portal);
  if (flow.type === 'customer_update') return page(200, 'Update your details', customerSection(portal), portal);
  const subscriptionId = flow[flow.type].subscription as string;
  const subscription = portal.context.store.get(subscriptionId, 'subscription');
  if (!subscription) return page(404, 'Subscription not found', homeLink(portal), portal);
  if (flow.type === 'subscription_cancel') {
    return page(200, 'Cancel your subscription', `${subscriptionCard(portal, subscription, false)}${cancelForm(portal, subscription)}`, portal);
  }
  if (flow.type === 'subscription_update') {
    return page(200, 'Update your plan', `${subscriptionCard(portal, subscription, false)}${switchForm(portal, subscription)}`, portal);
  }
  if (flow.type === 'subscription_pause') {
    return page(200, 'Pause your subscription', `${subscriptionCard(portal, subscription, false)}${pauseForm(portal, subscription)}`, portal);
  }
  const item = flow.subscription_update_confirm.items[0] as { id: string; price: string | null; quantity: number | null };
  const current = subscription.items.data.find((candidate: StripeObject) => candidate.id === item.id);
  const price = item.price ? portal.context.store.get(item.price, 'price') : current?.price;
  const body = `${subscriptionCard(portal, subscription, false)}
<section data-testid="update-confirmation"><h2>Confirm your update</h2>
<p>New plan: <strong>${escapeHtml(productName(portal, price))}</strong> — ${escapeHtml(priceLabel(price))}${item.quantity ? ` × ${item.quantity}` : ''}</p>
<form method="post" action="${portal.base}/switch">
${hidden('subscription', subscription.id)}${hidden('item', item.id)}${item.price ? hidden('price', item.price) : ''}${item.quantity ? hidden('quantity', String(item.quantity)) : ''}
<button type="submit" data-testid="switch-price">Confirm</button>
</form></section>`;
  return page(200, 'Confirm your update', body, portal);
}

function subscriptionCard(portal: Portal, subscription: StripeObject, withActions: boolean): string {
  const { features } = portal.configuration;
  const item = subscription.items.data[0];
  const periodEnd = Math.max(...subscription.items.data.map((candidate: StripeObject) => candidate.current_period_end as number));
  const resumesAt = scheduledResumeAt(portal.context, subscription);
  const state =
    subscription.status === 'canceled'
      ? `Canceled on ${date(subscription.ended_at ?? subscription.canceled_at)}`
      : subscription.status === 'paused'
        ? resumesAt
          ? `Paused until ${date(resumesAt)}`
          : 'Paused until you resume it'
        : subscription.cancel_at
          ? `Cancels on ${date(subscription.cancel_at)}`
          : `Renews on ${date(periodEnd)}`;
  const paused = subscription.pause_collection
    ? `<p data-testid="paused">Payment collection paused${subscription.pause_collection.resumes_at ? ` until ${date(subscription.pause_collection.resumes_at)}` : ''}</p>`
    : '';
  const open = subscription.status !== 'canceled';
  const actions =
    withActions && open
      ? [
          features.subscription_cancel.enabled && !subscription.cancel_at_period_end ? cancelForm(portal, subscription) : '',
          features.subscription_cancel.enabled && subscription.cancel_at_period_end ? renewForm(portal, subscription) : '',
          features.subscription_update.enabled ? switchForm(portal, subscription) : '',
          features.subscription_pause.enabled && isPausable(subscription) && !subscription.cancel_at_period_end ? pauseForm(portal, subscription) : '',
          features.subscription_pause.enabled && subscription.status === 'paused' ? resumeForm(portal, subscription) : '',
        ].join('\n')
      : '';
  return `<section class="subscription" data-testid="subscription" data-subscription-id="${escapeHtml(subscription.id)}">
<h3>${escapeHtml(productName(portal, item?.price))}</h3>
<p class="price">${escapeHtml(priceLabel(item?.price))}${item && item.quantity > 1 ? ` × ${item.quantity}` : ''}</p>
<p class="status">Status: <span data-testid="status">${escapeHtml(subscription.status)}</span></p>
<p class="period" data-testid="period">${escapeHtml(state)}</p>
${paused}
${actions}
</section>`;
}

function cancelForm(portal: Portal, subscription: StripeObject): string {
  const { cancellation_reason: reasons, mode } = portal.configuration.features.subscription_cancel;
  const reasonField = reasons.enabled
    ? `<label>Why are you cancelling? <select name="reason">${(reasons.options as string[])
        .filter((option) => CANCELLATION_FEEDBACK.includes(option))
        .map((option) => `<option value="${option}">${escapeHtml(option.replace(/_/g, ' '))}</option>`)
        .join('')}</select></label>`
    : '';
  const when = mode === 'immediately' ? 'Your subscription will end now.' : 'Your subscription will stay active until the end of the billing period.';
  return `<form method="post" action="${portal.base}/cancel" class="cancel">
${hidden('subscription', subscription.id)}<p>${when}</p>${reasonField}
<button type="submit" data-testid="cancel-subscription">Cancel subscription</button>
</form>`;
}

function renewForm(portal: Portal, subscription: StripeObject): string {
  return `<form method="post" action="${portal.base}/renew" class="renew">
${hidden('subscription', subscription.id)}
<button type="submit" data-testid="renew-subscription">Renew subscription</button>
</form>`;
}

/** The pause durations the configuration offers: `indefinite` (until resumed) or `<interval>_<count>` each. */
function pauseChoices(portal: Portal): Array<{ value: string; label: string; interval?: string; count?: number }> {
  const { duration } = portal.configuration.features.subscription_pause;
  if (duration.type === 'indefinite') return [{ value: 'indefinite', label: 'Until I resume it' }];
  return (duration.interval_options as Array<{ interval: string; interval_count: number }>).map(({ interval, interval_count: count }) => ({
    value: `${interval}_${count}`,
    label: `For ${count} ${interval}${count > 1 ? 's' : ''}`,
    interval,
    count,
  }));
}

function pauseForm(portal: Portal, subscription: StripeObject): string {
  const choices = pauseChoices(portal)
    .map((choice) => `<option value="${escapeHtml(choice.value)}">${escapeHtml(choice.label)}</option>`)
    .join('');
  return `<form method="post" action="${portal.base}/pause" class="pause">
${hidden('subscription', subscription.id)}<p>No invoices are created while your subscription is paused.</p>
<label>Pause <select name="duration" data-testid="pause-duration">${choices}</select></label>
<button type="submit" data-testid="pause-subscription">Pause subscription</button>
</form>`;
}

function resumeForm(portal: Portal, subscription: StripeObject): string {
  return `<form method="post" action="${portal.base}/resume" class="resume">
${hidden('subscription', subscription.id)}<p>A new billing period starts, and is charged, when you resume.</p>
<button type="submit" data-testid="resume-subscription">Resume subscription</button>
</form>`;
}

function switchForm(portal: Portal, subscription: StripeObject): string {
  const current = subscription.items.data[0];
  const options = offeredPrices(portal.configuration)
    .map((id) => portal.context.store.get(id, 'price'))
    .filter((price): price is StripeObject => Boolean(price) && price!.id !== current?.price.id && price!.currency === subscription.currency)
    .map((price) => `<option value="${escapeHtml(price.id)}">${escapeHtml(productName(portal, price))} — ${escapeHtml(priceLabel(price))}</option>`);
  if (options.length === 0) return '';
  return `<form method="post" action="${portal.base}/switch" class="switch">
${hidden('subscription', subscription.id)}${current ? hidden('item', current.id) : ''}
<label>Change plan <select name="price" data-testid="price-select">${options.join('')}</select></label>
<button type="submit" data-testid="switch-price">Update plan</button>
</form>`;
}

function paymentMethodSection(portal: Portal): string {
  const defaultMethod = portal.customer.invoice_settings?.default_payment_method as string | null;
  const method = defaultMethod ? portal.context.store.get(defaultMethod, 'payment_method') : undefined;
  const current = method?.card ? `${method.card.brand} •••• ${method.card.last4}` : (defaultMethod ?? 'none');
  return `<section data-testid="payment-method"><h2>Payment method</h2>
<p>Default: <span data-testid="default-payment-method">${escapeHtml(current)}</span></p>
<form method="post" action="${portal.base}/payment_method">
<label>Card number <input name="card_number" data-testid="card-number" inputmode="numeric" value="4242424242424242"></label>
<label>Expiry <input name="exp_month" size="2" value="12"> / <input name="exp_year" size="4" value="${new Date().getUTCFullYear() + 3}"></label>
<button type="submit" data-testid="update-payment-method">Update payment method</button>
</form></section>`;
}

function customerSection(portal: Portal): string {
  const allowed = editableCustomerFields(portal);
  const fields = allowed
    .map((field) => `<label>${field[0]!.toUpperCase()}${field.slice(1)} <input name="${field}" value="${escapeHtml(portal.customer[field] ?? '')}"></label>`)
    .join('\n');
  return `<section data-testid="customer-details"><h2>Your details</h2>
${
  allowed.length === 0
    ? '<p>These details can be changed with the app.</p>'
    : `<form method="post" action="${portal.base}/customer">
${fields}
<button type="submit" data-testid="update-customer">Save details</button>
</form>`
}</section>`;
}

function editableCustomerFields(portal: Portal): (typeof EDITABLE_CUSTOMER_FIELDS)[number][] {
  const allowed = portal.configuration.features.customer_update.allowed_updates as string[];
  return EDITABLE_CUSTOMER_FIELDS.filter((field) => allowed.includes(field));
}

function invoiceHistory(portal: Portal): string {
  const invoices = newestFirst(portal.context.store.all('invoice').filter((invoice) => invoice.customer === portal.customer.id && invoice.status !== 'draft'));
  const rows = invoices
    .map(
      (invoice) =>
        `<tr data-invoice-id="${escapeHtml(invoice.id)}"><td>${date(invoice.created)}</td><td>${escapeHtml(invoice.number ?? invoice.id)}</td><td>${escapeHtml(formatAmount(invoice.total, invoice.currency))}</td><td>${escapeHtml(invoice.status)}</td></tr>`,
    )
    .join('\n');
  return `<section data-testid="invoice-history"><h2>Invoice history</h2>
${invoices.length === 0 ? '<p>No invoices yet.</p>' : `<table><thead><tr><th>Date</th><th>Number</th><th>Amount</th><th>Status</th></tr></thead><tbody>${rows}</tbody></table>`}
</section>`;
}

// ---------- actions ----------

function performAction(portal: Portal, action: string, form: Params): PageResponse {
  const { features } = portal.configuration;
  const feature: Record<string, string> = {
    cancel: 'subscription_cancel',
    renew: 'subscription_cancel',
    switch: 'subscription_update',
    payment_method: 'payment_method_update',
    pause: 'subscription_pause',
    resume: 'subscription_pause',
    customer: 'customer_update',
  };
  const enabled = features[feature[action]!].enabled as boolean;
  if (!enabled) return page(403, 'Not available', `<p class="error">This action is not available in this portal.</p>${homeLink(portal)}`, portal);
  if (action === 'payment_method') {
    const problem = updatePaymentMethod(portal, form);
    if (problem) return page(400, 'Update payment method', `<p class="error">${escapeHtml(problem)}</p>${paymentMethodSection(portal)}`, portal);
    return completed(portal, 'payment_method_update', 'Your payment method has been updated.');
  }
  if (action === 'customer') {
    const problem = updateCustomerDetails(portal, form);
    if (problem) return page(400, 'Update your details', `<p class="error">${escapeHtml(problem)}</p>${customerSection(portal)}`, portal);
    return completed(portal, 'customer_update', 'Your details have been updated.');
  }
  const subscription = ownSubscription(portal, String(form.subscription ?? ''));
  if (!subscription) return page(404, 'Subscription not found', homeLink(portal), portal);
  if (action === 'cancel') {
    const feedback = CANCELLATION_FEEDBACK.includes(String(form.reason)) ? String(form.reason) : undefined;
    if (features.subscription_cancel.mode === 'immediately') {
      cancelSubscription(portal.context, subscription, NO_REQUEST, feedback ? { feedback } : undefined);
    } else {
      updateSubscription(portal.context, subscription, { cancel_at_period_end: 'true', ...(feedback && { cancellation_details: { feedback } }) }, NO_REQUEST);
    }
    return completed(portal, 'subscription_cancel', 'Your subscription has been canceled.');
  }
  if (action === 'renew') {
    updateSubscription(portal.context, subscription, { cancel_at_period_end: 'false' }, NO_REQUEST);
    return completed(portal, 'renew', 'Your subscription has been renewed.');
  }
  if (action === 'pause') {
    const choice = pauseChoices(portal).find((candidate) => candidate.value === String(form.duration ?? ''));
    if (!choice) return page(400, 'Pause your subscription', `<p class="error">Choose one of the offered pause durations.</p>${homeLink(portal)}`, portal);
    const resumesAt = choice.interval ? addInterval(portal.context.now(), choice.interval, choice.count!) : undefined;
    pauseSubscription(portal.context, subscription, {}, NO_REQUEST, resumesAt);
    return completed(
      portal,
      'subscription_pause',
      resumesAt ? `Your subscription is paused until ${date(resumesAt)}.` : 'Your subscription is paused until you resume it.',
    );
  }
  if (action === 'resume') {
    resumeSubscription(portal.context, subscription, {}, NO_REQUEST);
    return completed(portal, 'resume', 'Your subscription has been resumed.');
  }
  const price = String(form.price ?? '');
  const confirmItem = portal.session.flow?.subscription_update_confirm?.items?.[0];
  const offered = offeredPrices(portal.configuration).includes(price) || (confirmItem && confirmItem.price === price);
  if (price && !offered) return page(400, 'Update your plan', `<p class="error">That plan is not offered here.</p>${homeLink(portal)}`, portal);
  const item = String(form.item ?? subscription.items.data[0]?.id ?? '');
  updateSubscription(
    portal.context,
    subscription,
    {
      items: [{ id: item, ...(price && { price }), ...(form.quantity && { quantity: String(form.quantity) }) }],
      proration_behavior: features.subscription_update.proration_behavior,
    },
    NO_REQUEST,
  );
  return completed(
    portal,
    portal.session.flow?.type === 'subscription_update_confirm' ? 'subscription_update_confirm' : 'subscription_update',
    'Your plan has been updated.',
  );
}

function ownSubscription(portal: Portal, id: string): StripeObject | undefined {
  const subscription = portal.context.store.get(id, 'subscription');
  return subscription && subscription.customer === portal.customer.id && subscription.status !== 'canceled' ? subscription : undefined;
}

/** Records a fake card as a payment method and makes it the customer's default; returns a problem to show, if any. */
function updatePaymentMethod(portal: Portal, form: Params): string | undefined {
  const number = String(form.card_number ?? '').replace(/\s+/g, '');
  if (!/^\d{12,19}$/.test(number)) return 'Your card number is invalid.';
  const { context, customer } = portal;
  const card = createCardPaymentMethod(
    context,
    { number, expMonth: Number(form.exp_month) || undefined, expYear: Number(form.exp_year) || undefined },
    { email: customer.email, name: customer.name },
  );
  card.allow_redisplay = 'always';
  const paymentMethod = attachPaymentMethod(context, card, customer.id, NO_REQUEST);
  updateCustomer(context, customer, { invoice_settings: { default_payment_method: paymentMethod.id } }, NO_REQUEST);
  return undefined;
}

/** Saves the details the configuration lets the customer change; returns a problem to show, if any. */
function updateCustomerDetails(portal: Portal, form: Params): string | undefined {
  const params: Params = {};
  for (const field of editableCustomerFields(portal)) {
    if (form[field] !== undefined) params[field] = String(form[field]).trim();
  }
  if (params.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(params.email)) return 'Your email address is invalid.';
  updateCustomer(portal.context, portal.customer, params, NO_REQUEST);
  return undefined;
}

/** After an action: follow the flow's after_completion, or confirm with a link back to the app. */
function completed(portal: Portal, action: string, message: string): PageResponse {
  const { flow } = portal.session;
  if (flow && !portal.link.completed && flow.type === action) {
    portal.link.completed = true;
    const after = flow.after_completion;
    if (after.type === 'redirect') return redirectResponse(after.redirect.return_url);
    if (after.type === 'portal_homepage') return redirectResponse(`${portal.base}?notice=${encodeURIComponent(message)}`);
    return confirmation(portal, after.hosted_confirmation?.custom_message ?? message);
  }
  return confirmation(portal, message);
}

function confirmation(portal: Portal, message: string): PageResponse {
  return page(200, 'Done', `<p class="notice" data-testid="confirmation">${escapeHtml(message)}</p>${homeLink(portal)}`, portal);
}

// ---------- HTML helpers ----------

function page(status: number, title: string, body: string, portal?: Portal): PageResponse {
  const name = portal?.context.accountName ?? 'the app';
  const profile = portal?.configuration.business_profile ?? {};
  const returnUrl = portal?.session.return_url as string | null | undefined;
  const legal = [
    profile.privacy_policy_url ? `<a href="${escapeHtml(profile.privacy_policy_url)}">Privacy</a>` : '',
    profile.terms_of_service_url ? `<a href="${escapeHtml(profile.terms_of_service_url)}">Terms</a>` : '',
  ].join(' ');
  const header = `${returnUrl ? `<a href="${escapeHtml(returnUrl)}" data-testid="return-link">← Return to ${escapeHtml(name)}</a>` : ''}
<h1>${escapeHtml(title)}</h1>${profile.headline ? `<p class="headline">${escapeHtml(profile.headline)}</p>` : ''}
${portal ? `<p class="customer">${escapeHtml(portal.customer.email ?? portal.customer.name ?? portal.customer.id)}</p>` : ''}`;
  const locale = portal?.session.locale && portal.session.locale !== 'auto' ? portal.session.locale : 'en';
  return htmlResponse(status, { title: `${title} — ${name}`, lang: locale, header, body, footer: legal });
}

function homeLink(portal: Portal): string {
  return `<p><a href="${portal.base}" data-testid="portal-home">Back to billing</a></p>`;
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

function productName(portal: Portal, price: StripeObject | undefined): string {
  if (!price) return 'Subscription';
  return portal.context.store.get(price.product, 'product')?.name ?? price.product;
}

function priceLabel(price: StripeObject | undefined): string {
  if (!price) return '';
  const amount = formatAmount(price.unit_amount, price.currency);
  if (!price.recurring) return amount;
  const { interval, interval_count: count } = price.recurring;
  return count > 1 ? `${amount} every ${count} ${interval}s` : `${amount} per ${interval}`;
}

function date(unixSeconds: number): string {
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(unixSeconds * 1000));
}

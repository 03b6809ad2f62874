/**
 * The hosted Checkout page behind a session's `url`, and the test 3D Secure page payment intents send
 * buyers to: server-rendered HTML, no JavaScript. Paying goes through `payCheckoutSession`, the same
 * operation as the payment page API, so it emits the same events.
 *
 *   GET  /c/pay/:secret                 the order and the payment form (or that it is complete / expired)
 *   POST /c/pay/:secret/card            email, card_number, exp_month, exp_year, cvc, name
 *   POST /c/pay/:secret/amazon_pay      email
 *   POST /c/pay/:secret/cancel          303 to the session's cancel_url
 *   GET  /c/pay/:secret/return          where 3D Secure sends the buyer back
 *   GET  /c/authenticate/:client_secret             Stripe's test authentication page
 *   POST /c/authenticate/:client_secret/complete    or /fail
 *
 * Stable hooks for browser tests: data-testid="card-number", "email", "pay-card", "pay-amazon-pay",
 * "cancel-checkout", "payment-error", "line-item", "total", "session-complete", "session-expired",
 * "complete-authentication", "fail-authentication".
 */
import { type EmulatorContext, NO_REQUEST } from '../context';
import { StripeApiError } from '../errors';
import type { Params } from '../params';
import {
  type CheckoutRecord,
  completeAuthenticatedCheckout,
  findSessionBySecret,
  lineItemsOf,
  payCheckoutSession,
  settleAsyncPayment,
} from '../resources/checkout-sessions';
import { formatAmount } from '../resources/invoices';
import { finishAuthentication } from '../resources/payment-intents';
import { createAmazonPayPaymentMethod, createCardPaymentMethod } from '../resources/payment-methods';
import type { StripeObject } from '../store';
import { escapeHtml, htmlResponse, type PageResponse, redirectResponse } from './html';

const DEFAULT_TEST_CARD = '4242 4242 4242 4242';
const AUTHENTICATION_FAILED = 'We are unable to authenticate your payment method. Please choose a different payment method and try again.';

interface Checkout {
  context: EmulatorContext;
  session: StripeObject;
  record: CheckoutRecord;
  base: string;
}

export function handleCheckoutPage(context: EmulatorContext, method: string, url: URL, form: Params): PageResponse {
  const authentication = /^\/c\/authenticate\/([A-Za-z0-9_]+)(?:\/(complete|fail))?\/?$/.exec(url.pathname);
  if (authentication) return handleAuthentication(context, method, authentication[1]!, authentication[2] as 'complete' | 'fail' | undefined);
  const match = /^\/c\/pay\/([A-Za-z0-9_]+)(?:\/(card|amazon_pay|cancel|return))?\/?$/.exec(url.pathname);
  const found = match && findSessionBySecret(context, match[1]!);
  if (!match || !found) return page(404, 'Page not found', '<p>This checkout link is invalid.</p>');
  const checkout: Checkout = { context, ...found, base: `/c/pay/${match[1]}` };
  const action = match[2];
  if (method === 'GET' && !action) return renderSession(checkout);
  if (method === 'GET' && action === 'return') return afterAuthentication(checkout, url);
  if (method === 'POST' && action === 'cancel') return cancel(checkout);
  if (method === 'POST' && (action === 'card' || action === 'amazon_pay')) return pay(checkout, action, form);
  return page(405, 'Not allowed', '<p>Use the checkout page.</p>');
}

// ---------- rendering ----------

function renderSession(checkout: Checkout, problem?: { status: number; message: string }): PageResponse {
  const { session } = checkout;
  if (session.status === 'complete') return completed(checkout);
  if (session.status === 'expired') {
    return page(410, 'Checkout expired', '<p data-testid="session-expired">This Checkout Session has expired. Return to the app to start again.</p>', checkout);
  }
  const error = problem ? `<p class="error" role="alert" data-testid="payment-error">${escapeHtml(problem.message)}</p>` : '';
  return page(problem?.status ?? 200, title(checkout), `${summary(checkout)}${error}${paymentForm(checkout)}${cancelForm(checkout)}`, checkout);
}

function title(checkout: Checkout): string {
  return checkout.session.mode === 'subscription' ? `Subscribe to ${checkout.context.accountName}` : `Pay ${checkout.context.accountName}`;
}

function summary(checkout: Checkout): string {
  const { session } = checkout;
  const rows = lineItemsOf(checkout.context, session)
    .map(
      (item) =>
        `<tr data-testid="line-item"><td>${escapeHtml(item.description ?? item.price.id)}</td><td>× ${item.quantity}</td><td>${escapeHtml(priceLabel(item))}</td></tr>`,
    )
    .join('\n');
  const trial = session.mode === 'subscription' && session.amount_total === 0 ? '<p class="notice">Free trial: nothing is charged today.</p>' : '';
  return `<section data-testid="order-summary"><table><tbody>${rows}</tbody></table>
<p>Total due today: <strong data-testid="total">${escapeHtml(formatAmount(session.amount_total, session.currency))}</strong></p>${trial}</section>`;
}

function priceLabel(item: StripeObject): string {
  const amount = formatAmount(item.amount_total, item.currency);
  const recurring = item.price.recurring;
  if (!recurring) return amount;
  return recurring.interval_count > 1 ? `${amount} every ${recurring.interval_count} ${recurring.interval}s` : `${amount} per ${recurring.interval}`;
}

function paymentForm(checkout: Checkout): string {
  const { session } = checkout;
  const types = session.payment_method_types as string[];
  const card = types.includes('card')
    ? `<fieldset><legend>Card</legend>
<label>Card number <input name="card_number" data-testid="card-number" inputmode="numeric" autocomplete="cc-number" value="${DEFAULT_TEST_CARD}"></label>
<label>Expiry <input name="exp_month" size="2" value="12"> / <input name="exp_year" size="4" value="${new Date(checkout.context.now() * 1000).getUTCFullYear() + 3}"></label>
<label>CVC <input name="cvc" size="4" value="123"></label>
<label>Name on card <input name="name" autocomplete="cc-name"></label>
<button type="submit" formaction="${checkout.base}/card" data-testid="pay-card">${session.mode === 'subscription' ? 'Subscribe' : 'Pay'}</button>
</fieldset>`
    : '';
  const amazonPay = types.includes('amazon_pay')
    ? `<button type="submit" formaction="${checkout.base}/amazon_pay" formnovalidate data-testid="pay-amazon-pay">Pay with Amazon Pay</button>`
    : '';
  if (!card && !amazonPay)
    return `<p class="error">None of this session's payment method types (${escapeHtml(types.join(', '))}) can be paid on this page.</p>`;
  // The card button comes first: it is the form's default (Enter) button.
  return `<form method="post" action="${checkout.base}/card" data-testid="payment-form">${emailField(checkout)}${card}${amazonPay}</form>`;
}

function emailField(checkout: Checkout): string {
  const { session, context } = checkout;
  // A customer with an email pays as that email; one without is asked for it, as Checkout does.
  const customer = session.customer ? context.store.get(session.customer, 'customer') : undefined;
  if (customer?.email) return `<p class="customer">Paying as <span data-testid="customer-email">${escapeHtml(customer.email)}</span></p>`;
  const fixed = session.customer_email as string | null;
  return `<label>Email <input type="email" name="email" data-testid="email" required value="${escapeHtml(fixed ?? '')}"${fixed ? ' readonly' : ''}></label>`;
}

function cancelForm(checkout: Checkout): string {
  if (!checkout.session.cancel_url) return '';
  return `<form method="post" action="${checkout.base}/cancel"><button type="submit" data-testid="cancel-checkout">← Back to ${escapeHtml(checkout.context.accountName)}</button></form>`;
}

function completed(checkout: Checkout): PageResponse {
  const { session } = checkout;
  const message =
    session.payment_status === 'unpaid'
      ? 'Thanks! Your payment is being processed.'
      : session.mode === 'subscription'
        ? 'Thanks for subscribing!'
        : 'Thanks for your payment!';
  return page(
    200,
    'Checkout complete',
    `<p class="notice" data-testid="session-complete">${escapeHtml(message)}</p><p>This Checkout Session is complete.</p>`,
    checkout,
  );
}

// ---------- actions ----------

function pay(checkout: Checkout, type: 'card' | 'amazon_pay', form: Params): PageResponse {
  const { context, session } = checkout;
  if (session.status !== 'open') return renderSession(checkout);
  const email = String(form.email ?? '').trim() || undefined;
  const name = String(form.name ?? '').trim() || undefined;
  if (!session.customer && !email && !session.customer_email) return renderSession(checkout, { status: 400, message: 'Your email is incomplete.' });
  const billing = { email: email ?? session.customer_email ?? null, name: name ?? null };
  let paymentMethod: StripeObject;
  if (type === 'card') {
    const card = readCard(form, context.now());
    if (typeof card === 'string') return renderSession(checkout, { status: 400, message: card });
    paymentMethod = createCardPaymentMethod(context, card, billing);
  } else {
    paymentMethod = createAmazonPayPaymentMethod(context, billing);
  }
  try {
    const result = payCheckoutSession(context, session, paymentMethod, { email, name }, NO_REQUEST, {
      returnUrl: `${context.baseUrl()}${checkout.base}/return`,
    });
    if (result.outcome === 'declined') return renderSession(checkout, { status: 402, message: result.decline.message });
    if (result.outcome === 'requires_action') return redirectResponse(result.intent.next_action.redirect_to_url.url);
    const response = finish(checkout);
    if (result.processing) settleAsyncPayment(context, session, result.processing, NO_REQUEST);
    return response;
  } catch (error) {
    if (error instanceof StripeApiError) return renderSession(checkout, { status: error.status === 402 ? 402 : 400, message: error.message });
    throw error;
  }
}

/** The card fields, or the message Checkout shows for a bad one. */
function readCard(form: Params, now: number): { number: string; expMonth: number; expYear: number } | string {
  const number = String(form.card_number ?? '').replace(/[\s-]+/g, '');
  if (!/^\d{12,19}$/.test(number)) return 'Your card number is invalid.';
  const expMonth = Number(form.exp_month);
  const rawYear = Number(form.exp_year);
  const expYear = rawYear < 100 ? 2000 + rawYear : rawYear;
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12 || !Number.isInteger(expYear)) return "Your card's expiration date is incomplete.";
  const today = new Date(now * 1000);
  if (expYear < today.getUTCFullYear() || (expYear === today.getUTCFullYear() && expMonth < today.getUTCMonth() + 1))
    return "Your card's expiration year is in the past.";
  return { number, expMonth, expYear };
}

/** A completed session sends the buyer to success_url with the session id filled in. */
function finish(checkout: Checkout): PageResponse {
  const successUrl = checkout.session.success_url as string | null;
  if (!successUrl) return completed(checkout);
  return redirectResponse(successUrl.split('{CHECKOUT_SESSION_ID}').join(checkout.session.id));
}

function cancel(checkout: Checkout): PageResponse {
  const cancelUrl = checkout.session.cancel_url as string | null;
  if (!cancelUrl) return renderSession(checkout);
  return redirectResponse(cancelUrl);
}

function afterAuthentication(checkout: Checkout, url: URL): PageResponse {
  if (checkout.session.status === 'complete') return finish(checkout);
  const failed = url.searchParams.get('redirect_status') === 'failed';
  return renderSession(checkout, failed ? { status: 402, message: AUTHENTICATION_FAILED } : undefined);
}

// ---------- 3D Secure ----------

function handleAuthentication(context: EmulatorContext, method: string, clientSecret: string, action: 'complete' | 'fail' | undefined): PageResponse {
  const intent = context.store.all('payment_intent').find((candidate) => candidate.client_secret === clientSecret);
  if (!intent) return page(404, 'Page not found', '<p>This authentication link is invalid.</p>');
  if (method === 'GET' && !action) return renderAuthentication(intent, clientSecret);
  if (method !== 'POST' || !action) return page(405, 'Not allowed', '<p>Use the authentication page.</p>');
  if (intent.status !== 'requires_action')
    return page(409, 'Already authenticated', `<p>This payment no longer needs authentication (status ${escapeHtml(intent.status)}).</p>`);
  const returnUrl = intent.next_action?.redirect_to_url?.return_url as string | undefined;
  const passed = action === 'complete';
  finishAuthentication(context, intent, passed, NO_REQUEST);
  if (passed) completeAuthenticatedCheckout(context, intent, NO_REQUEST);
  if (!returnUrl)
    return page(
      200,
      passed ? 'Authentication complete' : 'Authentication failed',
      `<p class="notice" data-testid="authentication-result">${passed ? 'You can close this page.' : escapeHtml(AUTHENTICATION_FAILED)}</p>`,
    );
  const target = new URL(returnUrl);
  target.searchParams.set('payment_intent', intent.id);
  target.searchParams.set('payment_intent_client_secret', clientSecret);
  target.searchParams.set('redirect_status', passed ? 'succeeded' : 'failed');
  return redirectResponse(target.toString());
}

function renderAuthentication(intent: StripeObject, clientSecret: string): PageResponse {
  const base = `/c/authenticate/${clientSecret}`;
  const body = `<p>3D Secure 2 test payment of <strong>${escapeHtml(formatAmount(intent.amount, intent.currency))}</strong>. Complete or fail the authentication.</p>
<form method="post" action="${base}/complete"><button type="submit" data-testid="complete-authentication">Complete authentication</button></form>
<form method="post" action="${base}/fail"><button type="submit" data-testid="fail-authentication">Fail authentication</button></form>`;
  return page(200, 'Authenticate your payment', body);
}

// ---------- HTML helpers ----------

function page(status: number, heading: string, body: string, checkout?: Checkout): PageResponse {
  const name = checkout?.context.accountName ?? 'Stripe';
  const locale = checkout?.session.locale && checkout.session.locale !== 'auto' ? checkout.session.locale : 'en';
  return htmlResponse(status, { title: `${heading} — ${name}`, lang: locale, header: `<h1>${escapeHtml(heading)}</h1>`, body });
}

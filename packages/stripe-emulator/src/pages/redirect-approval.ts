/**
 * The page behind a setup intent's `next_action` URL: where Amazon Pay (or PayPal, Revolut Pay) asks the
 * customer to authorise future payments, and where a 3D Secure card is authenticated. Server-rendered,
 * no JavaScript; both buttons are form POSTs that change state through the setup intent operations.
 *
 *   GET  /r/setup_intent/:client_secret           what is being authorised, with Approve and Decline
 *   POST /r/setup_intent/:client_secret/approve   the setup succeeds; 303 to return_url?…&redirect_status=succeeded
 *   POST /r/setup_intent/:client_secret/decline   the setup fails;    303 to return_url?…&redirect_status=failed
 *
 * Without a return_url (3D Secure inside Stripe.js) the page shows the result instead of redirecting.
 * Once the intent has left `requires_action`, the page says so and accepts no second answer (409).
 * Hooks for browser tests: data-testid="approve-redirect", "decline-redirect" (buttons), "redirect-result".
 */
import { type EmulatorContext, NO_REQUEST } from '../context';
import { StripeApiError } from '../errors';
import type { Params } from '../params';
import {
  approveSetupIntentAction,
  declineSetupIntentAction,
  findSetupIntentBySecret,
  returnUrlAfterAction,
  SETUP_INTENT_APPROVAL_PREFIX,
} from '../resources/setup-intents';
import type { StripeObject } from '../store';
import { escapeHtml, htmlResponse, type PageResponse, redirectResponse } from './html';

const WALLET_NAMES: Record<string, string> = { amazon_pay: 'Amazon Pay', paypal: 'PayPal', revolut_pay: 'Revolut Pay' };

const STATE_MESSAGES: Record<string, string> = {
  succeeded: 'This authorisation has already been approved.',
  canceled: 'This authorisation was canceled by the merchant.',
  requires_payment_method: 'This authorisation has already been declined or has failed.',
  requires_confirmation: 'This authorisation is not waiting for an answer.',
  processing: 'This authorisation is being processed.',
};

export function handleRedirectApprovalPage(context: EmulatorContext, method: string, url: URL, _form: Params): PageResponse {
  const prefix = SETUP_INTENT_APPROVAL_PREFIX.replace(/\//g, '\\/');
  const match = new RegExp(`^${prefix}([A-Za-z0-9_]+)(?:\\/(approve|decline))?\\/?$`).exec(url.pathname);
  const intent = match ? findSetupIntentBySecret(context, match[1]!) : undefined;
  if (!match || !intent) return page(context, 404, 'Link not found', '<p class="error">This authorisation link is invalid.</p>');
  const action = match[2];
  if (method === 'GET' && !action) return renderRequest(context, intent, `${SETUP_INTENT_APPROVAL_PREFIX}${match[1]}`);
  if (method !== 'POST' || !action) return page(context, 405, 'Not allowed', '<p>Use the buttons on the authorisation page.</p>');
  if (intent.status !== 'requires_action') return stateNotice(context, 409, intent);
  try {
    if (action === 'approve') approveSetupIntentAction(context, intent, NO_REQUEST);
    else declineSetupIntentAction(context, intent, NO_REQUEST);
  } catch (error) {
    if (error instanceof StripeApiError) return page(context, 400, 'Something went wrong', `<p class="error">${escapeHtml(error.message)}</p>`);
    throw error;
  }
  const back = returnUrlAfterAction(intent);
  return back ? redirectResponse(back) : result(context, intent);
}

function renderRequest(context: EmulatorContext, intent: StripeObject, base: string): PageResponse {
  if (intent.status !== 'requires_action') return stateNotice(context, 200, intent);
  const paymentMethod = context.store.get(intent.payment_method, 'payment_method');
  const customer = intent.customer ? context.store.get(intent.customer, 'customer') : undefined;
  const isCard = paymentMethod?.type === 'card';
  const what = isCard
    ? `${paymentMethod.card.brand} •••• ${paymentMethod.card.last4}`
    : (WALLET_NAMES[paymentMethod?.type] ?? paymentMethod?.type ?? 'payment method');
  const purpose = isCard
    ? `<p>Your bank asks you to confirm that you are saving this card with <strong>${escapeHtml(context.accountName)}</strong>.</p>`
    : `<p><strong>${escapeHtml(context.accountName)}</strong> asks to charge your ${escapeHtml(what)} account for future payments${intent.usage === 'off_session' ? ', also when you are not present' : ''}.</p>`;
  const body = `<section data-testid="redirect-request" data-setup-intent-id="${escapeHtml(intent.id)}">
<p>Payment method: <strong data-testid="payment-method">${escapeHtml(what)}</strong></p>
${customer?.email ? `<p>Account: ${escapeHtml(customer.email)}</p>` : ''}
${purpose}
${intent.description ? `<p>${escapeHtml(intent.description)}</p>` : ''}
<form method="post" action="${escapeHtml(base)}/approve"><button type="submit" data-testid="approve-redirect">${isCard ? 'Complete authentication' : 'Approve'}</button></form>
<form method="post" action="${escapeHtml(base)}/decline"><button type="submit" data-testid="decline-redirect">${isCard ? 'Fail authentication' : 'Decline'}</button></form>
</section>`;
  return page(context, 200, isCard ? '3D Secure authentication' : `Authorise ${what}`, body);
}

function stateNotice(context: EmulatorContext, status: number, intent: StripeObject): PageResponse {
  const message = STATE_MESSAGES[intent.status] ?? `This authorisation has status ${intent.status}.`;
  return page(
    context,
    status,
    'Authorisation closed',
    `<p class="notice" data-testid="redirect-result" data-status="${escapeHtml(intent.status)}">${escapeHtml(message)}</p>`,
  );
}

function result(context: EmulatorContext, intent: StripeObject): PageResponse {
  const approved = intent.status === 'succeeded';
  const message = approved ? 'Authentication complete. You can close this window.' : 'Authentication failed. You can close this window.';
  return page(
    context,
    200,
    approved ? 'Approved' : 'Declined',
    `<p class="${approved ? 'notice' : 'error'}" data-testid="redirect-result" data-status="${escapeHtml(intent.status)}">${message}</p>`,
  );
}

function page(context: EmulatorContext, status: number, title: string, body: string): PageResponse {
  return htmlResponse(status, { title: `${title} — ${context.accountName}`, header: `<h1>${escapeHtml(title)}</h1>`, body });
}

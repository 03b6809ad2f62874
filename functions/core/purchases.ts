/**
 * Purchases: what the app started (a Checkout Session or an Amazon Pay SetupIntent) and what became
 * of it. Linkout records each purchase when it creates the Stripe object, and moves it on when Stripe
 * reports an outcome, by webhook or when a refresh reads the object back. The app follows it with
 * GET /v1/purchases/{id}.
 *
 * Fulfilment lives here too: a succeeded SetupIntent becomes a subscription exactly once. Duplicated,
 * concurrent and late deliveries (and a refresh racing them) all end in one subscription, because
 * the subscription is created under an idempotency key derived from the SetupIntent and a completed
 * purchase is never fulfilled again.
 */
export type PurchaseKind = 'checkout_session' | 'setup_intent';
export type PurchaseStatus = 'pending' | 'completed' | 'failed' | 'expired';

/** Why a purchase did not complete; the message is Linkout's own, never Stripe's text. */
const PURCHASE_FAILURE_REASONS = {
  payment_method_declined: 'The payment method was declined. Try again or choose another payment method.',
  authentication_failed: 'The payment was not approved. Try again and approve it with your payment provider.',
  setup_failed: 'The payment method could not be set up. Try again or choose another payment method.',
  first_payment_failed: 'The subscription was created but its first payment failed. Update the payment method in the customer portal.',
  payment_failed: 'The payment failed. Try again or choose another payment method.',
  canceled: 'The purchase was canceled before it completed.',
  checkout_expired: 'The checkout page expired before the purchase was completed. Start again.',
} as const;
export type PurchaseFailureReason = keyof typeof PURCHASE_FAILURE_REASONS;

export interface Purchase {
  /** The Stripe object's id: cs_... (Checkout Session) or seti_... (SetupIntent). */
  id: string;
  kind: PurchaseKind;
  accountId: string;
  customerId: string;
  priceId: string;
  status: PurchaseStatus;
  reason: PurchaseFailureReason | null;
  subscriptionId: string | null;
  /** Unix seconds. */
  createdAt: number;
  updatedAt: number;
}

/** What Stripe says happened to a purchase, from a webhook or from reading the object back. */
export type PurchaseUpdate =
  | { status: 'pending' }
  | { status: 'completed'; subscriptionId: string }
  | { status: 'failed'; reason: PurchaseFailureReason }
  | { status: 'expired' }
  /** The SetupIntent succeeded: Linkout now starts the subscription with this payment method. */
  | { status: 'setup_succeeded'; paymentMethodId: string };

/** The part of a purchase an outcome changes. */
export type PurchaseOutcome = Pick<Purchase, 'status' | 'reason' | 'subscriptionId'>;

/** Port: the purchase records (functions/adapters/dynamodb/purchase-records.ts). */
export interface PurchaseRecords {
  /** Records a new purchase; a purchase already recorded under the id (a double tap) is kept as it is. */
  create(purchase: Purchase): Promise<void>;
  get(purchaseId: string): Promise<Purchase | undefined>;
  /** Writes the outcome only while the stored status is still `from`; false when something else moved it first. */
  transition(purchaseId: string, from: PurchaseStatus, outcome: PurchaseOutcome, atSeconds: number): Promise<boolean>;
}

export interface StartSubscriptionParams {
  setupIntentId: string;
  accountId: string;
  customerId: string;
  priceId: string;
  paymentMethodId: string;
}

/** Port: starts the subscription a succeeded SetupIntent paid for (functions/adapters/stripe/). */
export interface SubscriptionStarter {
  /**
   * Creates the subscription with the payment method as its default, off-session. The same
   * SetupIntent always yields the same subscription (the idempotency key derives from it).
   */
  startFromSetupIntent(params: StartSubscriptionParams): Promise<{ subscriptionId: string; status: string }>;
}

/** Whether an outcome may replace the stored status: terminal outcomes stay, except that a failed setup may still complete. */
export function mayMove(from: PurchaseStatus, to: PurchaseStatus): boolean {
  if (from === to) return false;
  if (from === 'pending') return true;
  return from === 'failed' && to === 'completed';
}

export type PurchaseApplyResult = 'applied' | 'duplicate' | 'ignored';

export interface PurchaseFulfilmentPorts {
  records: PurchaseRecords;
  starter: SubscriptionStarter;
  /** Unix seconds. */
  now: () => number;
}

export class PurchaseFulfilment {
  constructor(private readonly ports: PurchaseFulfilmentPorts) {}

  /**
   * Applies what Stripe reported about a purchase. A purchase Linkout did not record is not Linkout's
   * ('ignored'); an outcome the stored state already has, or may no longer take, is a 'duplicate'.
   */
  async apply(purchaseId: string, update: PurchaseUpdate): Promise<PurchaseApplyResult> {
    const purchase = await this.ports.records.get(purchaseId);
    if (!purchase) return 'ignored';
    if (update.status === 'pending') return 'duplicate';
    if (update.status === 'setup_succeeded' && purchase.kind !== 'setup_intent') return 'ignored';
    // Its subscription exists already (a failed first payment is the subscription's business now).
    if (update.status === 'setup_succeeded' && purchase.subscriptionId) return 'duplicate';
    const target = update.status === 'setup_succeeded' ? 'completed' : update.status;
    if (!mayMove(purchase.status, target)) return 'duplicate';
    const outcome = await this.outcomeOf(purchase, update);
    const moved = await this.ports.records.transition(purchase.id, purchase.status, outcome, this.ports.now());
    return moved ? 'applied' : 'duplicate';
  }

  private async outcomeOf(purchase: Purchase, update: Exclude<PurchaseUpdate, { status: 'pending' }>): Promise<PurchaseOutcome> {
    switch (update.status) {
      case 'completed':
        return { status: 'completed', reason: null, subscriptionId: update.subscriptionId };
      case 'failed':
        return { status: 'failed', reason: update.reason, subscriptionId: null };
      case 'expired':
        return { status: 'expired', reason: 'checkout_expired', subscriptionId: null };
      case 'setup_succeeded': {
        const started = await this.ports.starter.startFromSetupIntent({
          setupIntentId: purchase.id,
          accountId: purchase.accountId,
          customerId: purchase.customerId,
          priceId: purchase.priceId,
          paymentMethodId: update.paymentMethodId,
        });
        // Off-session, Stripe charges at once; `incomplete` means that first payment failed.
        if (started.status === 'incomplete' || started.status === 'incomplete_expired') {
          return { status: 'failed', reason: 'first_payment_failed', subscriptionId: started.subscriptionId };
        }
        return { status: 'completed', reason: null, subscriptionId: started.subscriptionId };
      }
    }
  }
}

/** GET /v1/purchases/{id}: the purchase as the app sees it. */
export interface PurchaseView {
  id: string;
  kind: PurchaseKind;
  status: PurchaseStatus;
  reason: { code: PurchaseFailureReason; message: string } | null;
  priceId: string;
  subscriptionId: string | null;
  createdAt: string;
  updatedAt: string;
}

export function purchaseView(purchase: Purchase): PurchaseView {
  return {
    id: purchase.id,
    kind: purchase.kind,
    status: purchase.status,
    reason: purchase.reason ? { code: purchase.reason, message: PURCHASE_FAILURE_REASONS[purchase.reason] } : null,
    priceId: purchase.priceId,
    subscriptionId: purchase.subscriptionId,
    createdAt: new Date(purchase.createdAt * 1000).toISOString(),
    updatedAt: new Date(purchase.updatedAt * 1000).toISOString(),
  };
}

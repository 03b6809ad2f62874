/**
 * PurchaseRecords and SubscriptionStarter in memory, with the semantics of their adapters
 * (functions/adapters/dynamodb/purchase-records.ts, functions/adapters/stripe/subscription-starter.ts):
 *
 * - `create` keeps an existing record under the same id; `transition` lands only while the stored
 *   status is still the one it was read in;
 * - the starter gives the same subscription for the same SetupIntent, however often it is asked
 *   (Stripe's idempotency key), and `incomplete` when told the first payment fails.
 *
 * Every call is recorded in the CallLog as "purchases.<method>" and "starter.<method>".
 */
import type { Purchase, PurchaseOutcome, PurchaseRecords, PurchaseStatus, StartSubscriptionParams, SubscriptionStarter } from '#core/purchases';
import { CallLog } from './call-log';

export class InMemoryPurchaseRecords implements PurchaseRecords {
  readonly purchases = new Map<string, Purchase>();

  constructor(readonly log = new CallLog()) {}

  async create(purchase: Purchase): Promise<void> {
    this.log.record('purchases.create', [purchase]);
    if (!this.purchases.has(purchase.id)) this.purchases.set(purchase.id, { ...purchase });
  }

  async get(purchaseId: string): Promise<Purchase | undefined> {
    this.log.record('purchases.get', [purchaseId]);
    const purchase = this.purchases.get(purchaseId);
    return purchase && { ...purchase };
  }

  async transition(purchaseId: string, from: PurchaseStatus, outcome: PurchaseOutcome, atSeconds: number): Promise<boolean> {
    this.log.record('purchases.transition', [purchaseId, from, outcome, atSeconds]);
    const purchase = this.purchases.get(purchaseId);
    if (!purchase || purchase.status !== from) return false;
    Object.assign(purchase, outcome, { updatedAt: atSeconds });
    return true;
  }
}

export class InMemorySubscriptionStarter implements SubscriptionStarter {
  /** SetupIntent id -> the subscription it started. */
  readonly started = new Map<string, { subscriptionId: string; status: string; params: StartSubscriptionParams }>();
  /** The status the next new subscription gets (`incomplete`: its first off-session payment fails). */
  nextStatus = 'active';

  constructor(readonly log = new CallLog()) {}

  async startFromSetupIntent(params: StartSubscriptionParams): Promise<{ subscriptionId: string; status: string }> {
    this.log.record('starter.startFromSetupIntent', [params]);
    let started = this.started.get(params.setupIntentId);
    if (!started) {
      started = { subscriptionId: `sub_from_${params.setupIntentId}`, status: this.nextStatus, params };
      this.started.set(params.setupIntentId, started);
    }
    return { subscriptionId: started.subscriptionId, status: started.status };
  }
}

/**
 * The account's Stripe customer, created exactly once per billing account even when several first
 * requests race: every racer sends the same Idempotency-Key (derived from the account id), so Stripe
 * returns one customer to all of them, and the DynamoDB link is first-writer-wins for the rare case
 * where the key has expired (keys live >= 24 h) and a second customer appears anyway.
 * A customer id never comes from the client.
 */
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { AccountLinks } from '#core/accounts';
import { AppError } from '#core/errors';
import type { BillingCustomers } from '#core/portal-sessions';
import { accountIdFromMetadata, accountMetadata, accountSearchQuery } from './account-metadata';
import { callStripe } from './errors';

/**
 * One key per account and customer generation: after Stripe deleted the account's customer, the
 * next create must not replay the deleted customer from Stripe's idempotency cache.
 * The later generations are JSON-encoded under their own prefix, so no account id (whatever
 * characters it holds) can produce another account's key: a plain join let `a\ncus_x` collide.
 * The first generation keeps its original key, so keys in flight across a deploy stay valid.
 */
export function customerIdempotencyKey(accountId: string, deletedCustomerId?: string): string {
  if (!deletedCustomerId) return `linkout-customer-${sha256(accountId)}`;
  return `linkout-customer-after-${sha256(JSON.stringify([accountId, deletedCustomerId]))}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class StripeBillingCustomers implements BillingCustomers {
  constructor(
    private readonly stripe: () => Stripe,
    private readonly links: AccountLinks,
  ) {}

  existingCustomerId(accountId: string): Promise<string | undefined> {
    return this.links.customerForAccount(accountId);
  }

  async customerIdForAccount(accountId: string): Promise<string> {
    const linked = await this.links.customerForAccount(accountId);
    if (linked) return linked;
    const deletedCustomerId = await this.links.deletedCustomerOf(accountId);
    const customerId = (await this.findByMetadata(accountId, deletedCustomerId)) ?? (await this.create(accountId, deletedCustomerId));
    // First writer wins: a racer that lost gets the winner's customer back.
    const winner = await this.links.link(accountId, customerId);
    if (!winner) throw new AppError('conflict', 'customer_deleted', "The billing account's Stripe customer was just deleted; retry.");
    return winner;
  }

  /**
   * A customer created earlier whose link was never written (e.g. the function died in between).
   * Search is eventually consistent, so it is a recovery path, not the guard against duplicates.
   */
  private async findByMetadata(accountId: string, deletedCustomerId: string | undefined): Promise<string | undefined> {
    const result = await callStripe("looking up the billing account's customer", () =>
      this.stripe().customers.search({ query: accountSearchQuery(accountId), limit: 10 }),
    );
    const matches = result.data
      .filter((customer) => accountIdFromMetadata(customer.metadata) === accountId && customer.id !== deletedCustomerId)
      .sort((a, b) => a.created - b.created);
    return matches[0]?.id;
  }

  private async create(accountId: string, deletedCustomerId: string | undefined): Promise<string> {
    const customer = await callStripe("creating the billing account's customer", () =>
      this.stripe().customers.create({ metadata: accountMetadata(accountId) }, { idempotencyKey: customerIdempotencyKey(accountId, deletedCustomerId) }),
    );
    return customer.id;
  }
}

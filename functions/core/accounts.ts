/**
 * Port: the two-way link between a billing account (from the JWT) and its Stripe customer.
 * Implemented by functions/adapters/dynamodb/account-links.ts.
 */
export interface AccountLinks {
  customerForAccount(accountId: string): Promise<string | undefined>;
  accountForCustomer(customerId: string): Promise<string | undefined>;
  /**
   * Links an account to a customer in both directions. The first link of an account wins: when the
   * account is already linked to another customer, that customer id is returned and nothing changes.
   * A customer that was deleted in Stripe is never linked again: then the account's current customer
   * is returned, or undefined when it has none.
   */
  link(accountId: string, customerId: string): Promise<string | undefined>;
  /**
   * Frees the account of a customer deleted in Stripe, so that its next portal session gets a new
   * customer. Returns the account that was freed, if any.
   */
  unlinkDeletedCustomer(customerId: string): Promise<string | undefined>;
  /** The customer the account had before its last one was deleted (it scopes the next create). */
  deletedCustomerOf(accountId: string): Promise<string | undefined>;
}

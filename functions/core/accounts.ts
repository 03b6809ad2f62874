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
   */
  link(accountId: string, customerId: string): Promise<string>;
}

/**
 * AccountLinks in memory, with the semantics of the DynamoDB adapter
 * (functions/adapters/dynamodb/account-links.ts):
 *
 * - the first link of an account wins; linking it to another customer changes nothing and answers
 *   the linked customer;
 * - a customer deleted in Stripe frees its account and is never linked to it again;
 * - the customer -> account direction is never removed (the adapter leaves that item in place), so a
 *   deleted customer still names its former account.
 *
 * Every call is recorded in the CallLog as "links.<method>".
 */
import type { AccountLinks } from '#core/accounts';
import { CallLog } from './call-log';

interface AccountItem {
  customerId?: string;
  deletedCustomerId?: string;
}

export class InMemoryAccountLinks implements AccountLinks {
  private readonly accounts = new Map<string, AccountItem>();
  private readonly accountOfCustomer = new Map<string, string>();

  constructor(readonly log = new CallLog()) {}

  async customerForAccount(accountId: string): Promise<string | undefined> {
    this.log.record('links.customerForAccount', [accountId]);
    return this.accounts.get(accountId)?.customerId;
  }

  async accountForCustomer(customerId: string): Promise<string | undefined> {
    this.log.record('links.accountForCustomer', [customerId]);
    return this.accountOfCustomer.get(customerId);
  }

  async link(accountId: string, customerId: string): Promise<string | undefined> {
    this.log.record('links.link', [accountId, customerId]);
    const account = this.accounts.get(accountId) ?? {};
    const free = account.customerId === undefined || account.customerId === customerId;
    if (!free || account.deletedCustomerId === customerId) return account.customerId;
    this.accounts.set(accountId, { ...account, customerId });
    this.accountOfCustomer.set(customerId, accountId);
    return customerId;
  }

  async unlinkDeletedCustomer(customerId: string): Promise<string | undefined> {
    this.log.record('links.unlinkDeletedCustomer', [customerId]);
    const accountId = this.accountOfCustomer.get(customerId);
    if (!accountId) return undefined;
    const account = this.accounts.get(accountId);
    // Already unlinked (a duplicate delivery), or the account moved on to another customer.
    if (account?.customerId === customerId) this.accounts.set(accountId, { deletedCustomerId: customerId });
    return accountId;
  }

  async deletedCustomerOf(accountId: string): Promise<string | undefined> {
    this.log.record('links.deletedCustomerOf', [accountId]);
    return this.accounts.get(accountId)?.deletedCustomerId;
  }
}

/**
 * How a Stripe customer names its app billing account: `metadata.app_account_id`. Written when
 * Linkout creates the customer (customers.ts), read from webhook events (mapping.ts) and from
 * Stripe when an event names an unknown customer (billing-lookup.ts).
 */
import type Stripe from 'stripe';

const ACCOUNT_ID_METADATA_KEY = 'app_account_id';

/** The metadata a new customer of `accountId` is created with. */
export function accountMetadata(accountId: string): Stripe.MetadataParam {
  return { [ACCOUNT_ID_METADATA_KEY]: accountId };
}

/** The account a customer's metadata names, or null when it names none. */
export function accountIdFromMetadata(metadata: Stripe.Metadata | null | undefined): string | null {
  return metadata?.[ACCOUNT_ID_METADATA_KEY] || null;
}

/** Stripe search query for the customers of an account, quoted as Stripe's query language requires. */
export function accountSearchQuery(accountId: string): string {
  return `metadata['${ACCOUNT_ID_METADATA_KEY}']:'${accountId.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

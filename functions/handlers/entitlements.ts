/**
 * GET /v1/entitlements — the caller's billing account's entitlements (README "API"), computed now from
 * the stored records. The account comes from the verified token's claims, never from the request.
 */
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { callerFrom } from '#adapters/http/auth';
import { buildOnFirstCall, httpHandler } from '#adapters/http/middleware';
import { jsonResponse } from '#adapters/http/response';
import type { AccountLinks } from '#core/accounts';
import { nowInUnixSeconds } from '#core/clock';
import type { LinkoutConfig } from '#core/config';
import { entitlementsResponse } from '#core/entitlements';
import type { EntitlementStore } from '#core/entitlements-sync';

export interface EntitlementsDeps {
  config: LinkoutConfig;
  links: AccountLinks;
  store: Pick<EntitlementStore, 'customerRecords'>;
  /** Unix seconds. */
  now?: () => number;
}

export function makeEntitlementsHandler(deps: EntitlementsDeps) {
  const { config, links, store, now = nowInUnixSeconds } = deps;
  return httpHandler(async (event) => {
    const caller = callerFrom(event, config.auth);
    const customerId = await links.customerForAccount(caller.accountId);
    const records = customerId ? await store.customerRecords(customerId) : undefined;
    return jsonResponse(200, entitlementsResponse(caller.accountId, customerId, records, config, now()));
  });
}

export function entitlementsDepsFromEnv(env: NodeJS.ProcessEnv = process.env): EntitlementsDeps {
  const db = documentClient(dynamoFromEnv(env));
  const tableName = tableNameFromEnv(env);
  return {
    config: loadConfig(env),
    links: new DynamoAccountLinks(db, tableName),
    store: new DynamoEntitlementStore(db, tableName),
  };
}

export const handler = buildOnFirstCall(() => makeEntitlementsHandler(entitlementsDepsFromEnv()));

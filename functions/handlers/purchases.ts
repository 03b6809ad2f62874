/**
 * GET /v1/purchases/{id} — what became of a Checkout Session or Amazon Pay SetupIntent the app
 * started, after the redirect. Only DynamoDB: the record is moved on by webhooks, never by this read.
 */
import { loadConfig } from '#adapters/config';
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '#adapters/dynamodb/client';
import { DynamoPurchaseRecords } from '#adapters/dynamodb/purchase-records';
import { callerFrom } from '#adapters/http/auth';
import { buildOnFirstCall, httpHandler } from '#adapters/http/middleware';
import { jsonResponse } from '#adapters/http/response';
import type { LinkoutConfig } from '#core/config';
import { invalidRequest, notFound } from '#core/errors';
import { type PurchaseRecords, purchaseView } from '#core/purchases';

/** A Checkout Session or SetupIntent id, as Stripe writes them into the return URL. */
const PURCHASE_ID = /^(cs|seti)_[A-Za-z0-9_]+$/;
/** Stripe ids stay well under this; longer is not an id (and not worth a DynamoDB read). */
const PURCHASE_ID_MAX_LENGTH = 255;

export interface PurchasesDeps {
  config: LinkoutConfig;
  purchases: Pick<PurchaseRecords, 'get'>;
}

export function makePurchasesHandler(deps: PurchasesDeps) {
  return httpHandler(async (event) => {
    const caller = callerFrom(event, deps.config.auth);
    const id = event.pathParameters?.id ?? '';
    if (id.length > PURCHASE_ID_MAX_LENGTH || !PURCHASE_ID.test(id)) {
      throw invalidRequest('invalid_purchase_id', 'The purchase id must be a Checkout Session id (cs_...) or a SetupIntent id (seti_...).');
    }
    const purchase = await deps.purchases.get(id);
    // Another account's purchase gets the same answer as a missing one: its existence is not the caller's to learn.
    if (!purchase || purchase.accountId !== caller.accountId) {
      throw notFound('purchase_not_found', `No purchase ${id} was started by this account.`);
    }
    return jsonResponse(200, purchaseView(purchase));
  });
}

function purchasesDepsFromEnv(): PurchasesDeps {
  return {
    config: loadConfig(),
    purchases: new DynamoPurchaseRecords(documentClient(dynamoFromEnv()), tableNameFromEnv()),
  };
}

export const handler = buildOnFirstCall(() => makePurchasesHandler(purchasesDepsFromEnv()));

/**
 * A conditional write either lands or is refused by its condition. A refusal is an answer (first
 * link wins, a duplicate, a stale event), not a failure; every other DynamoDB failure becomes a
 * retryable 503 (storage-errors.ts).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { guardStorage } from './storage-errors';

export type ConditionalWriteResult =
  | { written: true }
  /** `blockingItem`: the stored item that failed the condition, when the write asked for it (ReturnValuesOnConditionCheckFailure). */
  | { written: false; blockingItem: Record<string, NativeAttributeValue> | undefined };

export async function conditionalWrite(request: Promise<unknown>): Promise<ConditionalWriteResult> {
  try {
    await guardStorage(request);
    return { written: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return { written: false, blockingItem: error.Item ? unmarshall(error.Item) : undefined };
  }
}

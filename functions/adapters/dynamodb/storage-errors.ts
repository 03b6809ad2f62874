import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { AppError } from '#core/errors';

/**
 * A DynamoDB failure is transient for Linkout's callers: the webhook must answer 5xx so that Stripe
 * delivers again, and the app may retry. A failed condition is an answer, not a failure, so it passes.
 */
export async function guardStorage<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || error instanceof AppError) throw error;
    throw storageUnavailable(error);
  }
}

export const storageUnavailable = (cause: unknown) =>
  new AppError('unavailable', 'storage_unavailable', 'The entitlement store is unavailable; retry later.', { cause });

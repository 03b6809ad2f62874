/** Now, in Unix seconds: the unit of Stripe's timestamps and of every time the core compares. */
export const nowInUnixSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Now, in milliseconds: only to order reads of Stripe against each other (which of two copies of
 * an object was fetched later), where seconds are too coarse. Never compared with Stripe's times.
 */
export const nowInMilliseconds = (): number => Date.now();

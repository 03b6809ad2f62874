/** Now, in Unix seconds: the unit of Stripe's timestamps and of every time the core compares. */
export const nowInUnixSeconds = (): number => Math.floor(Date.now() / 1000);

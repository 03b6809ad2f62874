/**
 * Stripe's limits on a billing-portal configuration. Checked when the configuration loads (config.ts,
 * portal-rules.ts), so a bad file never starts, and again right before parameters are sent
 * (portal-stripe-params.ts), whoever built them.
 */
export const MAX_PORTAL_HEADLINE_LENGTH = 60;
export const MAX_PORTAL_UPDATE_PRODUCTS = 10;

/** A portal pause lasts at most three years: the largest count per interval. */
const MAX_PAUSE_INTERVAL_COUNT: Readonly<Record<string, number>> = { day: 3 * 365, week: 3 * 52, month: 3 * 12, year: 3 };

/** "4 years" when a pause of `count` `interval`s is longer than Stripe allows; undefined when it fits. */
export function pauseBeyondLimit(interval: string, count: number): string | undefined {
  const max = MAX_PAUSE_INTERVAL_COUNT[interval];
  return max === undefined || count > max ? `${count} ${interval}s` : undefined;
}

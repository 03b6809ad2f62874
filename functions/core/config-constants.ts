/**
 * Constants of the configuration rules that code outside the schema needs too. Kept apart from
 * config.ts so that importing them does not evaluate the zod schema (a Lambda's cold start loads
 * the schema only when it must validate; see functions/adapters/config.ts).
 */

/** Plain http is acceptable only on the developer's own machine (the local stack). */
export const LOOPBACK_HTTP_URL = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/;

/**
 * fast-check generators of malformed input for test/adversarial/malformed-input.test.ts.
 *
 * Every generator here produces input that Linkout must REFUSE, decided without asking Linkout: a
 * value that the route's documented contract would accept (a well-formed id, a body with only known
 * fields of the right types) is filtered out, because "accepted" is then the right answer and the
 * suite would prove nothing by expecting a 4xx for it.
 */
import fc from 'fast-check';
import { SUBSCRIPTION_STATUSES } from '#core/billing-events';

/** Any JSON value, as it arrives after a JSON round trip (undefined dropped, NaN → null). */
export const jsonValue = (): fc.Arbitrary<unknown> =>
  fc
    .anything({ maxDepth: 3 })
    .map((value) => {
      const text = JSON.stringify(value);
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    })
    .filter((value) => value !== undefined);

export const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keys an attacker would try for prototype pollution or to smuggle an identity. */
const suspiciousKey = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'customer', 'customerId', 'accountId', 'account', 'sub', 'role', 'id', ''),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );

/** Strings well beyond any limit Linkout sets (its longest is 250 characters; Stripe ids stay ≤ 255). */
export const hugeString = (): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min: 300, max: 70_000 }), fc.constantFrom('a', 'é', '𝔘', '\u202e', '\u0000', '"')).map(([length, unit]) => unit.repeat(length));

/** A JSON value that is not a string (the value a string field must never accept). */
export const nonString = (): fc.Arbitrary<unknown> => jsonValue().filter((value) => typeof value !== 'string');

/** How a body reaches the API: raw text or bytes, with some content type (or none). */
export interface BodyInput {
  body: string | Buffer;
  contentType: string | undefined;
}

const contentType = (): fc.Arbitrary<string | undefined> =>
  fc.constantFrom(
    undefined,
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/json; charset=utf-16',
    'application/octet-stream',
    'application/xml',
    '*/*',
    'application/json, text/html',
  );

/** A body the route would accept: JSON whose top level is an object of known fields only, or blank when the body is optional. */
export type BodyContract = { fields: readonly string[]; optional: boolean };

function mightBeAccepted(text: string, contract: BodyContract): boolean {
  if (text.trim() === '') return contract.optional;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  return isPlainObject(parsed) && Object.keys(parsed).every((key) => contract.fields.includes(key));
}

/**
 * Whole bodies that are not a request of this route: any JSON value, any string, any bytes, huge
 * text. Objects made only of the route's known fields are dropped (their values decide; see below).
 */
export function junkBody(contract: BodyContract): fc.Arbitrary<BodyInput> {
  const text: fc.Arbitrary<string | Buffer> = fc.oneof(
    jsonValue().map((value) => JSON.stringify(value)),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    hugeString(),
    fc.constantFrom('{', '{"priceId":', 'null', '[]', '""', '0', 'true', '{"a":1}{"b":2}', '\ufeff{}x', '{"__proto__":{"admin":true}}'),
  );
  return fc
    .record({ body: text, contentType: contentType() })
    .filter(({ body }) => !mightBeAccepted(Buffer.isBuffer(body) ? body.toString('utf8') : body, contract));
}

/** One field of an otherwise valid body, and values that field must refuse. */
export type FieldBreakers = Record<string, fc.Arbitrary<unknown>>;

/**
 * Bodies that are almost right: the route's valid example with one field replaced by a value it must
 * refuse, or with one unknown field added (every app schema is strict), prototype-pollution keys included.
 */
export function almostRightBody(valid: Record<string, unknown>, breakers: FieldBreakers, fields: readonly string[]): fc.Arbitrary<BodyInput> {
  const replaced = fc.constantFrom(...Object.keys(breakers)).chain((field) => breakers[field]!.map((value) => JSON.stringify({ ...valid, [field]: value })));
  const extra = fc
    .tuple(
      suspiciousKey().filter((key) => !fields.includes(key)),
      jsonValue(),
    )
    // Built as text: an object literal with a `__proto__` key would set the prototype instead of a field.
    .map(([key, value]) => `${JSON.stringify(valid).slice(0, -1)}${Object.keys(valid).length > 0 ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(value)}}`);
  return fc.record({ body: fc.oneof(replaced, extra), contentType: contentType() });
}

/**
 * Path parameters that are not an id of the route's kind: encoded slashes and dots, NUL, broken
 * percent-encoding, unicode, very long ids, ids of other kinds. `isValid` is the route's documented
 * id format; ids it accepts are dropped. Returned already encoded for the request line.
 */
export function oddPathId(isValid: (id: string) => boolean, sameKindPrefix: string): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((id) => encodeURIComponent(id)),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((id) => encodeURIComponent(`${sameKindPrefix}${id}`)),
      fc.integer({ min: 256, max: 6_000 }).map((length) => `${sameKindPrefix}${'a'.repeat(length)}`),
      fc.constantFrom(
        `${sameKindPrefix}x%2Fpause`,
        `..%2F..%2Fentitlements`,
        '%2e%2e',
        '..',
        '.',
        `${sameKindPrefix}x%00`,
        `${sameKindPrefix}x%zz`,
        '%',
        `${sameKindPrefix}%E2%80%AEx`,
        `${sameKindPrefix}x%20`,
        `${sameKindPrefix}x;admin=1`,
        `${sameKindPrefix}x.json`,
        `${sameKindPrefix}`,
        'cus_123',
        'sub_123',
        'cs_test_123',
        'seti_123',
        'pi_123',
        'price_123',
        'null',
        'undefined',
        '__proto__',
        'constructor',
        '%5B%5D',
        '%7B%7D',
      ),
    )
    .filter((encoded) => {
      try {
        return !isValid(decodeURIComponent(encoded));
      } catch {
        return true; // not even decodable: certainly not an id
      }
    });
}

/**
 * Query strings no route defines: duplicates, pollution keys, broken encoding, identities, long ones.
 * At most 7,000 characters: API Gateway refuses a request line and headers over 10,240 bytes itself
 * (and Node's HTTP server answers 431 without a body), before any of Linkout runs.
 */
export const oddQuery = (): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        fc
          .tuple(suspiciousKey(), fc.string({ unit: 'binary', maxLength: 30 }))
          .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`),
        fc.constantFrom(
          '__proto__[admin]=1',
          'constructor[prototype][admin]=1',
          'customerId=cus_someone_else',
          'account=acct_other',
          'sub=other',
          '%zz',
          '%',
          '&&&',
          '=',
          'a=%00',
          'a=1&a=2&a[]=3',
          'limit=-1',
          'expand[]=customer',
        ),
        fc.integer({ min: 1_000, max: 6_000 }).map((length) => `q=${'x'.repeat(length)}`),
      ),
      { minLength: 1, maxLength: 5 },
    )
    .map((parts) => parts.join('&'))
    .filter((query) => query.length <= 7_000);

// ---------------------------------------------------------------------------------------------------
// Signed webhooks: Stripe objects with one field Linkout reads broken, or with fields it ignores changed.

/** Stripe guarantees ids of at most 255 characters. */
const STRIPE_ID_MAX = 255;
/** The latest second a Date and DynamoDB hold (9999-12-31T23:59:59Z), the bound mapping.ts uses. */
const MAX_UNIX_SECONDS = 253_402_300_799;

const hugeId = (): fc.Arbitrary<string> => fc.integer({ min: STRIPE_ID_MAX + 1, max: 4_000 }).map((length) => `x${'a'.repeat(length - 1)}`);
const nonObject = (): fc.Arbitrary<unknown> => jsonValue().filter((value) => !isPlainObject(value));
const nonArray = (): fc.Arbitrary<unknown> => jsonValue().filter((value) => !Array.isArray(value));
const nonBoolean = (): fc.Arbitrary<unknown> => jsonValue().filter((value) => typeof value !== 'boolean');
const withoutNull = (arbitrary: fc.Arbitrary<unknown>) => arbitrary.filter((value) => value !== null);

/** What an id field must refuse: not a string, empty, or longer than any Stripe id. */
const brokenId = (): fc.Arbitrary<unknown> => fc.oneof(nonString(), fc.constant(''), hugeId());
/** A reference (`"cus_..."` or an expanded `{id}`) that names nothing usable. */
const brokenRef = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    brokenId().filter((value) => !isPlainObject(value) || typeof value.id !== 'string' || value.id === '' || value.id.length > STRIPE_ID_MAX),
    brokenId().map((id) => ({ id })),
  );
/** Not a Unix timestamp: 1e300, negative, fractional, beyond year 9999, a string, a boolean. */
const brokenTimestamp = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(1e300, -1, 1.5, Number.MAX_SAFE_INTEGER, MAX_UNIX_SECONDS + 1, '1700000000', true, null, [], {}),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n) || n < 0 || n > MAX_UNIX_SECONDS),
    fc.string({ maxLength: 12 }),
  );

export type JsonPath = readonly (string | number)[];
/** A field Linkout reads and the values it must refuse there (with `null` only where the field is required). */
type ReadField = { path: JsonPath; breakers: fc.Arbitrary<unknown> };

const SUBSCRIPTION_FIELDS: ReadField[] = [
  { path: ['id'], breakers: brokenId() },
  { path: ['customer'], breakers: fc.oneof(brokenRef(), fc.constant(null)) },
  {
    path: ['status'],
    breakers: fc.oneof(
      nonString(),
      fc.string({ maxLength: 20 }).filter((s) => !(SUBSCRIPTION_STATUSES as readonly string[]).includes(s)),
    ),
  },
  { path: ['created'], breakers: brokenTimestamp() },
  { path: ['items'], breakers: withoutNull(nonObject()) },
  { path: ['items', 'data'], breakers: nonArray() },
  { path: ['items', 'data', 0], breakers: nonObject() },
  { path: ['items', 'data', 0, 'price'], breakers: nonObject() },
  { path: ['items', 'data', 0, 'price', 'id'], breakers: brokenId() },
  { path: ['items', 'data', 0, 'price', 'product'], breakers: withoutNull(brokenRef()) },
  { path: ['items', 'data', 0, 'price', 'lookup_key'], breakers: withoutNull(nonString()) },
  { path: ['items', 'data', 0, 'current_period_end'], breakers: withoutNull(brokenTimestamp()) },
  { path: ['cancel_at_period_end'], breakers: withoutNull(nonBoolean()) },
  { path: ['cancel_at'], breakers: withoutNull(brokenTimestamp()) },
  { path: ['pause_collection'], breakers: withoutNull(nonObject()) },
  { path: ['pause_collection', 'behavior'], breakers: nonString() },
  { path: ['pause_collection', 'resumes_at'], breakers: withoutNull(brokenTimestamp()) },
];

const INVOICE_FIELDS: ReadField[] = [
  { path: ['id'], breakers: withoutNull(brokenId()) },
  // A null customer or subscription is a one-off invoice: legitimately ignored, so not a breaker.
  { path: ['customer'], breakers: withoutNull(brokenRef()) },
  { path: ['parent'], breakers: withoutNull(nonObject()) },
  { path: ['parent', 'subscription_details'], breakers: withoutNull(nonObject()) },
  { path: ['parent', 'subscription_details', 'subscription'], breakers: withoutNull(brokenRef()) },
];
const CUSTOMER_FIELDS: ReadField[] = [
  { path: ['id'], breakers: brokenId() },
  { path: ['metadata'], breakers: withoutNull(nonObject()) },
  // Stripe's metadata values are strings of at most 500 characters; an empty value names no account.
  {
    path: ['metadata', 'app_account_id'],
    breakers: fc.oneof(
      nonString().filter((value) => Boolean(value)),
      fc.integer({ min: 501, max: 5_000 }).map((length) => 'a'.repeat(length)),
    ),
  },
];
const DELETED_CUSTOMER_FIELDS: ReadField[] = [
  { path: ['id'], breakers: brokenId() },
  { path: ['metadata'], breakers: withoutNull(nonObject()) },
];
const SUMMARY_FIELDS: ReadField[] = [
  { path: ['customer'], breakers: brokenId() },
  { path: ['entitlements'], breakers: withoutNull(nonObject()) },
  { path: ['entitlements', 'data'], breakers: nonArray() },
  { path: ['entitlements', 'data', 0], breakers: nonObject() },
  { path: ['entitlements', 'data', 0, 'lookup_key'], breakers: nonString() },
];
const CHECKOUT_SESSION_FIELDS: ReadField[] = [
  { path: ['id'], breakers: brokenId() },
  { path: ['status'], breakers: withoutNull(nonString()) },
  { path: ['subscription'], breakers: withoutNull(brokenRef()) },
];
const SETUP_INTENT_FIELDS: ReadField[] = [
  { path: ['id'], breakers: brokenId() },
  { path: ['status'], breakers: nonString() },
  { path: ['payment_method'], breakers: withoutNull(brokenRef()) },
  { path: ['last_setup_error'], breakers: withoutNull(nonObject()) },
  { path: ['last_setup_error', 'code'], breakers: withoutNull(nonString()) },
  { path: ['last_setup_error', 'decline_code'], breakers: withoutNull(nonString()) },
];

/** The event's own fields (every type): the same rules as Stripe's envelope. */
const EVENT_FIELDS: ReadField[] = [
  { path: ['id'], breakers: brokenId() },
  { path: ['created'], breakers: brokenTimestamp() },
  { path: ['data'], breakers: nonObject() },
  { path: ['data', 'object'], breakers: nonObject() },
];

export interface HandledType {
  /** A valid `data.object` for run `n` (fresh ids per run: a repeated id would only be a duplicate). */
  object(n: number): Record<string, unknown>;
  reads: ReadField[];
}

const subscription = (n: number) => ({
  id: `sub_malformed_${n}`,
  object: 'subscription',
  customer: `cus_malformed_${n}`,
  status: 'active',
  created: 1_700_000_000,
  cancel_at_period_end: false,
  cancel_at: null,
  pause_collection: { behavior: 'void', resumes_at: null },
  metadata: { note: 'ignored by Linkout' },
  collection_method: 'charge_automatically',
  items: {
    object: 'list',
    data: [
      {
        id: `si_malformed_${n}`,
        current_period_end: 1_900_000_000,
        price: { id: 'price_malformed', product: 'prod_malformed', lookup_key: 'stock_photos_monthly', unit_amount: 900 },
      },
    ],
  },
});
const invoice = (n: number) => ({
  id: `in_malformed_${n}`,
  object: 'invoice',
  customer: `cus_malformed_${n}`,
  status: 'paid',
  amount_paid: 900,
  parent: { type: 'subscription_details', subscription_details: { metadata: null, subscription: `sub_malformed_${n}` } },
});
const customer = (n: number) => ({
  id: `cus_malformed_${n}`,
  object: 'customer',
  email: null,
  metadata: { app_account_id: `acct_malformed_${n}` },
});
const summary = (n: number) => ({
  object: 'entitlements.active_entitlement_summary',
  customer: `cus_malformed_${n}`,
  livemode: false,
  entitlements: { object: 'list', data: [{ id: `ent_${n}`, object: 'entitlements.active_entitlement', lookup_key: 'stock_photos' }] },
});
const checkoutSession = (n: number) => ({
  id: `cs_test_malformed_${n}`,
  object: 'checkout.session',
  status: 'complete',
  mode: 'subscription',
  subscription: `sub_malformed_${n}`,
  customer: `cus_malformed_${n}`,
});
const setupIntent = (n: number) => ({
  id: `seti_malformed_${n}`,
  object: 'setup_intent',
  status: 'requires_payment_method',
  payment_method: `pm_malformed_${n}`,
  last_setup_error: { code: 'card_declined', decline_code: 'generic_decline', message: 'declined' },
});

/** Every event type mapping.ts acts on, with a valid object and the fields the mapping reads. */
export const HANDLED_TYPES: Record<string, HandledType> = {
  ...Object.fromEntries(
    [
      'customer.subscription.created',
      'customer.subscription.updated',
      'customer.subscription.deleted',
      'customer.subscription.paused',
      'customer.subscription.resumed',
      'customer.subscription.pending_update_applied',
      'customer.subscription.pending_update_expired',
      'customer.subscription.trial_will_end',
    ].map((type) => [type, { object: subscription, reads: SUBSCRIPTION_FIELDS }]),
  ),
  'invoice.paid': { object: invoice, reads: INVOICE_FIELDS },
  'invoice.payment_failed': { object: invoice, reads: INVOICE_FIELDS },
  'customer.created': { object: customer, reads: CUSTOMER_FIELDS },
  'customer.updated': { object: customer, reads: CUSTOMER_FIELDS },
  'customer.deleted': { object: (n) => ({ ...customer(n), deleted: true }), reads: DELETED_CUSTOMER_FIELDS },
  'entitlements.active_entitlement_summary.updated': { object: summary, reads: SUMMARY_FIELDS },
  'checkout.session.completed': { object: checkoutSession, reads: CHECKOUT_SESSION_FIELDS },
  'checkout.session.expired': { object: (n) => ({ ...checkoutSession(n), status: 'expired' }), reads: CHECKOUT_SESSION_FIELDS },
  'setup_intent.succeeded': { object: (n) => ({ ...setupIntent(n), status: 'succeeded', last_setup_error: null }), reads: SETUP_INTENT_FIELDS },
  'setup_intent.setup_failed': { object: setupIntent, reads: SETUP_INTENT_FIELDS },
  'setup_intent.canceled': { object: (n) => ({ ...setupIntent(n), status: 'canceled' }), reads: SETUP_INTENT_FIELDS },
};

/** A deep copy of `value` with `path` set (intermediate objects created) or, for `undefined`, removed. */
export function withValueAt(value: unknown, path: JsonPath, replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key]) && !Array.isArray(node[key])) node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete node[last];
  // defineProperty: an assignment to `__proto__` would replace the prototype instead of adding a field.
  else Object.defineProperty(node, last, { value: replacement, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** How a handled event is mutated: which kind, and the result. */
export type Mutation =
  | { kind: 'break'; path: JsonPath; value: unknown; inEnvelope: boolean }
  | { kind: 'harmless'; key: string; value: unknown }
  | { kind: 'any'; path: JsonPath; value: unknown };

/** A field Linkout reads (or the envelope's) replaced by a value it must refuse. */
export const breakMutation = (type: HandledType): fc.Arbitrary<Mutation> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(...type.reads)
        .chain((field) => field.breakers.map((value) => ({ kind: 'break', path: field.path, value, inEnvelope: false }) as Mutation)),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...EVENT_FIELDS)
        .chain((field) => field.breakers.map((value) => ({ kind: 'break', path: field.path, value, inEnvelope: true }) as Mutation)),
    },
  );

/** A top-level field Linkout does not read: replaced by anything, removed, or added (pollution keys included). */
export const harmlessMutation = (type: HandledType): fc.Arbitrary<Mutation> => {
  const read = new Set(type.reads.map((field) => String(field.path[0])));
  const unread = Object.keys(type.object(0)).filter((key) => !read.has(key));
  return fc.record({
    kind: fc.constant('harmless' as const),
    key: fc.oneof(
      fc.constantFrom(...unread),
      suspiciousKey().filter((key) => !read.has(key) && key !== 'object'),
    ),
    value: fc.oneof(jsonValue(), fc.constant(undefined), hugeString()),
  });
};

/** Any field, read or not (nested ones included), replaced by any JSON value or removed. */
export const anyMutation = (type: HandledType): fc.Arbitrary<Mutation> =>
  fc.record({
    kind: fc.constant('any' as const),
    path: fc.constantFrom<JsonPath>(...type.reads.map((field) => field.path), ...Object.keys(type.object(0)).map((key) => [key])),
    value: fc.oneof(jsonValue(), fc.constant(undefined), fc.constant(1e300), fc.constant(null)),
  });

/**
 * The deterministic half of `npm run bench`: what each kind of webhook event and each app request
 * costs in DynamoDB calls and Stripe calls, through the local stack's full HTTP path, counted on the
 * wire by the bench's own counting proxy and the emulator's request log. The bench prints the same
 * figures and the README's cost table is computed from them; a change in any count fails here first.
 *
 * test/integration/webhook.test.ts pins the in-order, duplicate, stale and tie costs of the handler
 * itself (on dynalite and DynamoDB Local); this suite pins the bench's counting of the whole path,
 * and the costs nothing else pins: an unknown customer's first event and the app paths.
 */
import { type AppRequestCost, measureAppPathCosts } from '../../bench/app-paths';
import { type BenchStack, startBenchStack } from '../../bench/bench-stack';
import { type EventKindCost, measureEventKindCosts } from '../../bench/webhook';
import { captureLog } from '../setup/log-sink';

// Starting the stack, the emulator's customers and subscriptions and ~60 requests on a shared machine.
jest.setTimeout(120_000);

let bench: BenchStack;
let kinds: EventKindCost[];
let app: AppRequestCost[];
beforeAll(async () => {
  bench = await startBenchStack({ log: captureLog });
  kinds = await measureEventKindCosts(bench, 3);
  app = await measureAppPathCosts(bench, 3);
});
afterAll(() => bench?.close());

// dynalite does not return the blocking item with a failed conditional write, so the store reads it
// once on a duplicate or stale event; on DynamoDB that read is saved (see webhook.test.ts).
describe('per webhook event (local stack, dynalite)', () => {
  it.each([
    // kind, outcome, writes, reads, Stripe calls
    ['in-order', 'applied', 1, 0, 0],
    ['duplicate', 'duplicate', 1, 1, 0],
    ['stale', 'stale', 1, 1, 0],
    // The ordered write reports the tie (dynalite: plus a read of the stored item), Stripe settles it
    // with one retrieve of the subscription, and its answer is stored with a second, resolved write.
    ['same-second tie', 'applied', 2, 1, 1],
    // No link in the table (two reads miss), Stripe names the customer's account (one retrieve), the
    // link is written both ways (two writes), then the event (one write).
    ['unknown customer', 'applied', 3, 2, 1],
    // The container has not seen the customer yet: one read of its link, then the event.
    ['first of a known customer', 'applied', 1, 1, 0],
  ] as const)('%s: %s, %d write(s), %d read(s), %d Stripe call(s)', (kind, outcome, writes, reads, stripeCalls) => {
    const row = kinds.find((k) => k.kind === kind)!;
    expect(row).toMatchObject({
      outcomes: { [outcome]: row.events },
      writesPerEvent: writes,
      readsPerEvent: reads,
      stripeCallsPerEvent: stripeCalls,
    });
  });
});

describe('per app request (local stack, warm handlers)', () => {
  it.each([
    // path, account, status, reads, writes, Stripe calls
    // Budget: a linked account's portal session is one link read and the session itself.
    ['POST /v1/portal-sessions', 'linked', 201, 1, 0, 1],
    // Two reads find no link; Stripe: customer search, customer create, session; the link is written both ways.
    ['POST /v1/portal-sessions', 'first-time', 201, 2, 2, 3],
    // Link read, the account's subscriptions, the purchase record, the Checkout Session.
    ['POST /v1/checkout-sessions', 'linked', 201, 1, 1, 2],
    // As a first portal session, plus the subscriptions list and the purchase record.
    ['POST /v1/checkout-sessions', 'first-time', 201, 2, 3, 4],
    // Link read and the customer's records; never Stripe.
    ['GET /v1/entitlements', 'linked', 200, 2, 0, 0],
    ['GET /v1/entitlements', 'first-time', 200, 1, 0, 0],
  ] as const)('%s, %s account: %d, %d read(s), %d write(s), %d Stripe call(s)', (path, account, status, reads, writes, stripeCalls) => {
    const row = app.find((r) => r.path === path && r.account === account)!;
    expect(row).toMatchObject({
      statuses: { [status]: row.requests },
      readsPerRequest: reads,
      writesPerRequest: writes,
      stripeCallsPerRequest: stripeCalls,
    });
  });
});

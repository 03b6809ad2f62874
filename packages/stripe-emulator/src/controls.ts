/**
 * Test controls outside Stripe's API (no API key needed), for driving what only time or a bank would
 * cause. Each changes state through the same operations as the API, so it emits the same events.
 *
 *   POST /_emulator/subscriptions/:id/advance_period   renew at period end (or end it if cancel_at is due; a trial
 *                                                       without payment method follows trial_settings); a paused
 *                                                       subscription moves to its scheduled resumption (400 if none);
 *                                                       pauses whose end the clock passes resume on the way
 *   POST /_emulator/subscriptions/:id/payment_failed   a failed charge: past_due + invoice.payment_failed
 *   POST /_emulator/subscriptions/:id/payment_succeeded  the retried charge succeeds: active again
 *   POST /_emulator/faults                              status=429 [count=1] [path=/v1/...] [method=POST]: fail next requests;
 *                                                       kind=timeout|reset [afterHandling=true]: never answer / drop
 *                                                       the connection (after running the request, with afterHandling)
 *   DELETE /_emulator/faults                            forget injected faults
 *   POST /_emulator/reset                               forget everything but the seeded catalog
 *   GET  /_emulator/health                              200 when listening
 */

import { NO_REQUEST, type ResourceModule } from './context';
import { invalidParameter } from './errors';
import { FAULT_KINDS, type Fault, type FaultPlan } from './faults';
import { requireObject } from './lookup';
import { optionalBoolean, optionalEnum, optionalInteger, optionalString, required } from './params';
import { advancePeriod, failPayment, recoverPayment } from './resources/subscriptions';

export function testControls(reset: () => void, faults: FaultPlan): ResourceModule {
  return (context) => [
    {
      method: 'POST',
      path: '/_emulator/subscriptions/:id/advance_period',
      handle: ({ pathParams }) => advancePeriod(context, requireObject(context.store, 'subscription', pathParams.id!), NO_REQUEST),
    },
    {
      method: 'POST',
      path: '/_emulator/subscriptions/:id/payment_failed',
      handle: ({ pathParams }) => failPayment(context, requireObject(context.store, 'subscription', pathParams.id!), NO_REQUEST),
    },
    {
      method: 'POST',
      path: '/_emulator/subscriptions/:id/payment_succeeded',
      handle: ({ pathParams }) => recoverPayment(context, requireObject(context.store, 'subscription', pathParams.id!), NO_REQUEST),
    },
    {
      method: 'POST',
      path: '/_emulator/faults',
      handle: ({ params }) => {
        const kind = optionalEnum(params.kind, 'kind', FAULT_KINDS) ?? 'status';
        const status = kind === 'status' ? required(optionalInteger(params.status, 'status'), 'status') : optionalInteger(params.status, 'status');
        if (status !== undefined && (status < 400 || status > 599)) throw invalidParameter('status', 'status must be a 4xx or 5xx code.');
        const fault: Fault = {
          kind,
          ...(status !== undefined && { status }),
          ...(optionalBoolean(params.afterHandling, 'afterHandling') && { afterHandling: true }),
          count: optionalInteger(params.count, 'count') ?? 1,
          path: optionalString(params.path, 'path'),
          method: optionalEnum(params.method, 'method', ['GET', 'POST', 'DELETE'] as const),
        };
        try {
          faults.add(fault);
        } catch (error) {
          // The plan's own consistency rules (no status on a reset, afterHandling only on lost answers...).
          throw invalidParameter('kind', (error as Error).message);
        }
        return { fault };
      },
    },
    {
      method: 'DELETE',
      path: '/_emulator/faults',
      handle: () => {
        faults.clear();
        return { cleared: true };
      },
    },
    {
      method: 'POST',
      path: '/_emulator/reset',
      handle: () => {
        reset();
        return { reset: true };
      },
    },
    { method: 'GET', path: '/_emulator/health', handle: () => ({ ok: true }) },
  ];
}

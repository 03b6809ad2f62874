/**
 * What a resource module sees: the state, the clock, the event emitter; and what it provides: routes.
 * Adding a resource (setup intents, payment methods) is adding a module to `resources/index.ts`.
 */
import type Stripe from 'stripe';
import type { Params } from './params';
import type { Store, StripeObject } from './store';

/** Who caused a change: the API request (id and idempotency key) or nobody (hosted page, test controls). */
export interface RequestMeta {
  requestId: string | null;
  idempotencyKey: string | null;
}

export const NO_REQUEST: RequestMeta = { requestId: null, idempotencyKey: null };

export interface ApiRequest {
  method: string;
  path: string;
  /** Values of `:name` segments of the route. */
  pathParams: Record<string, string>;
  /** Query string and form body, merged. */
  params: Params;
  meta: RequestMeta;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path with `:name` placeholders, e.g. /v1/customers/:id. */
  path: string;
  /** Returns the response body (status 200), or throws a StripeApiError. */
  handle(request: ApiRequest): unknown;
}

export interface EmulatorContext {
  readonly store: Store;
  /** Unix seconds. */
  now(): number;
  /** Moves the emulator's clock forward (the test controls use it to reach a period end). */
  advanceClockTo(unixSeconds: number): void;
  /** Records an event for a state change and queues its delivery. */
  emit(type: string, object: StripeObject, meta: RequestMeta, previousAttributes?: Record<string, unknown>): Stripe.Event;
  /**
   * Calls `listener` after every event is recorded, for state Stripe derives from other changes
   * (e.g. entitlement summaries follow subscription events). A listener may emit events itself.
   */
  onEvent(listener: (event: Stripe.Event) => void): void;
  /** http://host:port of the emulator (portal session URLs point here). */
  baseUrl(): string;
  /** Name the hosted pages show ("Return to <accountName>"). */
  readonly accountName: string;
}

export type ResourceModule = (context: EmulatorContext) => Route[];

/**
 * Subscription schedules: phases of items that a subscription follows over time. A schedule that
 * starts now creates its subscription at once (through createSubscription, so the same events
 * follow); a future start stays `not_started`, since only the test controls move the clock and they
 * move it per subscription. When advance_period reaches a phase's end, the subscription takes the next
 * phase's items, or the schedule completes and releases or cancels it (`end_behavior`).
 */
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { invalidParameter, invalidRequest } from '../errors';
import { requireObject } from '../lookup';
import {
  arrayOf,
  checkParams,
  expandPaths,
  mergeMetadata,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalString,
  type ParamSpec,
  type Params,
  required,
} from '../params';
import { listRoute, objectActionRoute, retrieveRoute } from '../routes';
import { newId, type StripeObject } from '../store';
import { emitIfChanged, expand, matchesCreated, previousAttributes } from '../wire';
import { addInterval, cancelSubscription, createSubscription, onPeriodEnd, updateSubscription } from './subscriptions';

const END_BEHAVIORS = ['cancel', 'none', 'release', 'renew'] as const;
const COLLECTION_METHODS = ['charge_automatically', 'send_invoice'] as const;
const PRORATION_BEHAVIORS = ['always_invoice', 'create_prorations', 'none'] as const;
const INTERVALS = ['day', 'week', 'month', 'year'] as const;

/** A phase as the schedule lists it (a nested object, not a stored one). */
type Phase = Params;
/** Stripe sends subscription_schedule.expiring seven days before a schedule ends. */
const EXPIRING_NOTICE_SECONDS = 7 * 24 * 3600;

const PHASE_ITEM: ParamSpec = { price: 'value', quantity: 'value', metadata: 'map' };

const PHASE_FIELDS: Record<string, ParamSpec> = {
  items: [PHASE_ITEM],
  iterations: 'value',
  duration: { interval: 'value', interval_count: 'value' },
  end_date: 'value',
  trial: 'value',
  trial_end: 'value',
  metadata: 'map',
  description: 'value',
  collection_method: 'value',
  default_payment_method: 'value',
  proration_behavior: 'value',
};

const DEFAULT_SETTINGS: ParamSpec = {
  collection_method: 'value',
  default_payment_method: 'value',
  description: 'value',
  invoice_settings: { days_until_due: 'value' },
};

const CREATE: Record<string, ParamSpec> = {
  customer: 'value',
  from_subscription: 'value',
  start_date: 'value',
  end_behavior: 'value',
  phases: [PHASE_FIELDS],
  default_settings: DEFAULT_SETTINGS,
  metadata: 'map',
};

const UPDATE: Record<string, ParamSpec> = {
  end_behavior: 'value',
  phases: [{ ...PHASE_FIELDS, start_date: 'value' }],
  default_settings: DEFAULT_SETTINGS,
  metadata: 'map',
  proration_behavior: 'value',
};

/** A timestamp parameter that also takes 'now'. */
function timestampOrNow(value: unknown, param: string, now: number): number | undefined {
  return value === 'now' ? now : optionalInteger(value, param);
}

function phaseItems(context: EmulatorContext, value: unknown, param: string): Params[] {
  const items = arrayOf(value);
  if (items.length === 0) throw invalidParameter(`${param}[items]`, 'Missing required param: items.', 'parameter_missing');
  return items.map((item, index) => {
    const priceParam = `${param}[items][${index}][price]`;
    const price = requireObject(context.store, 'price', required(optionalString(item.price, priceParam), priceParam), priceParam);
    if (!price.recurring)
      throw invalidParameter(priceParam, 'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.');
    const quantity = optionalInteger(item.quantity, `${param}[items][${index}][quantity]`) ?? 1;
    return { billing_thresholds: null, discounts: [], metadata: mergeMetadata({}, item.metadata), plan: price.id, price: price.id, quantity, tax_rates: [] };
  });
}

/** A phase lasts until `end_date`, for `duration`, or for `iterations` (default 1) of its first price's interval. */
function phaseEnd(params: Params, param: string, start: number, firstPrice: StripeObject): number {
  const endDate = optionalInteger(params.end_date, `${param}[end_date]`);
  if (endDate !== undefined) {
    if (endDate <= start) throw invalidParameter(`${param}[end_date]`, 'The phase end_date must be after its start_date.');
    return endDate;
  }
  if (params.duration) {
    const interval = required(optionalEnum(params.duration.interval, `${param}[duration][interval]`, INTERVALS), `${param}[duration][interval]`);
    return addInterval(start, interval, optionalInteger(params.duration.interval_count, `${param}[duration][interval_count]`) ?? 1);
  }
  const iterations = optionalInteger(params.iterations, `${param}[iterations]`) ?? 1;
  if (iterations < 1) throw invalidParameter(`${param}[iterations]`, 'iterations must be at least 1.', 'parameter_invalid_integer');
  return addInterval(start, firstPrice.recurring.interval, firstPrice.recurring.interval_count * iterations);
}

function phaseObject(context: EmulatorContext, params: Params, index: number, start: number): Phase {
  const param = `phases[${index}]`;
  const items = phaseItems(context, params.items, param);
  const firstPrice = context.store.get(items[0]!.price, 'price')!;
  const end = phaseEnd(params, param, start, firstPrice);
  const trial = optionalBoolean(params.trial, `${param}[trial]`);
  const trialEnd = trial ? end : (optionalInteger(params.trial_end, `${param}[trial_end]`) ?? null);
  return {
    add_invoice_items: [],
    application_fee_percent: null,
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: optionalEnum(params.collection_method, `${param}[collection_method]`, COLLECTION_METHODS) ?? null,
    currency: firstPrice.currency,
    default_payment_method: optionalString(params.default_payment_method, `${param}[default_payment_method]`) ?? null,
    default_tax_rates: [],
    description: optionalString(params.description, `${param}[description]`) || null,
    discounts: [],
    end_date: end,
    invoice_settings: null,
    items,
    metadata: mergeMetadata({}, params.metadata),
    on_behalf_of: null,
    proration_behavior: optionalEnum(params.proration_behavior, `${param}[proration_behavior]`, PRORATION_BEHAVIORS) ?? 'create_prorations',
    start_date: start,
    transfer_data: null,
    ...(trial !== undefined && { trial }),
    trial_end: trialEnd,
  };
}

/** Phases follow each other: each starts where the previous one ends. */
function buildPhases(context: EmulatorContext, value: unknown, start: number): Phase[] {
  const phases: Phase[] = [];
  let phaseStart = start;
  arrayOf(value).forEach((params, index) => {
    const phase = phaseObject(context, params, index, phaseStart);
    phases.push(phase);
    phaseStart = phase.end_date;
  });
  if (phases.length === 0) throw invalidParameter('phases', 'Missing required param: phases.', 'parameter_missing');
  return phases;
}

function defaultSettingsOf(value: Params | undefined, current?: Params): Params {
  const settings = value || {};
  return {
    application_fee_percent: null,
    billing_cycle_anchor: 'automatic',
    billing_thresholds: null,
    collection_method:
      optionalEnum(settings.collection_method, 'default_settings[collection_method]', COLLECTION_METHODS) ?? current?.collection_method ?? null,
    default_payment_method:
      optionalString(settings.default_payment_method, 'default_settings[default_payment_method]') ?? current?.default_payment_method ?? null,
    description: settings.description !== undefined ? settings.description || null : (current?.description ?? null),
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      days_until_due:
        optionalInteger(settings.invoice_settings?.days_until_due, 'default_settings[invoice_settings][days_until_due]') ??
        current?.invoice_settings.days_until_due ??
        null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    on_behalf_of: null,
    transfer_data: null,
  };
}

function scheduleObject(context: EmulatorContext, fields: { customer: string; endBehavior: string; phases: Phase[]; params: Params }): StripeObject {
  return {
    id: newId('sub_sched'),
    object: 'subscription_schedule',
    application: null,
    billing_mode: { flexible: null, type: 'classic' },
    canceled_at: null,
    completed_at: null,
    created: context.now(),
    current_phase: null,
    customer: fields.customer,
    customer_account: null,
    default_settings: defaultSettingsOf(fields.params.default_settings),
    end_behavior: fields.endBehavior,
    livemode: false,
    metadata: mergeMetadata({}, fields.params.metadata),
    pause_schedules: [],
    phases: fields.phases,
    released_at: null,
    released_subscription: null,
    status: 'not_started',
    subscription: null,
    test_clock: null,
  };
}

/** The phase in force at `at`, if any. */
function phaseAt(schedule: StripeObject, at: number): Phase | undefined {
  return schedule.phases.find((phase: Phase) => phase.start_date <= at && at < phase.end_date);
}

function currentPhaseOf(phase: Phase): { start_date: number; end_date: number } {
  return { start_date: phase.start_date, end_date: phase.end_date };
}

/** Starts the subscription of a schedule whose first phase begins now. */
function startSubscription(context: EmulatorContext, schedule: StripeObject, meta: RequestMeta): void {
  const phase = schedule.phases[0];
  const settings = schedule.default_settings;
  const collectionMethod = phase.collection_method ?? settings.collection_method;
  const subscription = createSubscription(
    context,
    {
      customer: schedule.customer,
      items: phase.items.map((item: Params) => ({ price: item.price, quantity: String(item.quantity), metadata: item.metadata })),
      ...(phase.trial_end && { trial_end: String(phase.trial_end) }),
      ...(Object.keys(phase.metadata).length > 0 && { metadata: phase.metadata }),
      ...(collectionMethod && { collection_method: collectionMethod }),
      ...(collectionMethod === 'send_invoice' &&
        settings.invoice_settings.days_until_due !== null && { days_until_due: String(settings.invoice_settings.days_until_due) }),
      ...((phase.default_payment_method ?? settings.default_payment_method) && {
        default_payment_method: phase.default_payment_method ?? settings.default_payment_method,
      }),
      ...((phase.description ?? settings.description) && { description: phase.description ?? settings.description }),
    },
    meta,
    { schedule: schedule.id },
  );
  schedule.status = 'active';
  schedule.subscription = subscription.id;
  schedule.current_phase = currentPhaseOf(phase);
}

function createSubscriptionSchedule(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, CREATE);
  const endBehavior = optionalEnum(params.end_behavior, 'end_behavior', END_BEHAVIORS) ?? 'release';
  if (params.from_subscription !== undefined) return scheduleFromSubscription(context, params, endBehavior, meta);
  const customer = requireObject(context.store, 'customer', required(optionalString(params.customer, 'customer'), 'customer'), 'customer');
  const now = context.now();
  const start = timestampOrNow(params.start_date, 'start_date', now) ?? now;
  const phases = buildPhases(context, params.phases, start);
  const schedule = context.store.put(scheduleObject(context, { customer: customer.id, endBehavior, phases, params }));
  if (start <= now) startSubscription(context, schedule, meta);
  context.emit('subscription_schedule.created', schedule, meta);
  return schedule;
}

/** A schedule taking over an existing subscription: one phase, its current items over its current period. */
function scheduleFromSubscription(context: EmulatorContext, params: Params, endBehavior: string, meta: RequestMeta): StripeObject {
  for (const param of ['customer', 'phases', 'start_date'] as const) {
    if (params[param] !== undefined) throw invalidRequest(`You cannot set \`${param}\` if \`from_subscription\` is set.`);
  }
  const subscription = requireObject(
    context.store,
    'subscription',
    required(optionalString(params.from_subscription, 'from_subscription'), 'from_subscription'),
    'from_subscription',
  );
  if (subscription.schedule)
    throw invalidParameter('from_subscription', `The subscription '${subscription.id}' is already attached to the schedule '${subscription.schedule}'.`);
  if (subscription.status === 'canceled') throw invalidParameter('from_subscription', `The subscription '${subscription.id}' is canceled.`);
  const items: StripeObject[] = subscription.items.data;
  const start = Math.min(...items.map((item) => item.current_period_start as number));
  const end = Math.max(...items.map((item) => item.current_period_end as number));
  const phase = phaseObject(
    context,
    { items: items.map((item) => ({ price: item.price.id, quantity: String(item.quantity) })), end_date: String(end) },
    0,
    start,
  );
  phase.trial_end = subscription.status === 'trialing' ? subscription.trial_end : null;
  const schedule = context.store.put(scheduleObject(context, { customer: subscription.customer, endBehavior, phases: [phase], params }));
  schedule.status = 'active';
  schedule.subscription = subscription.id;
  schedule.current_phase = currentPhaseOf(phase);
  context.emit('subscription_schedule.created', schedule, meta);
  const before = structuredClone(subscription);
  subscription.schedule = schedule.id;
  context.emit('customer.subscription.updated', subscription, meta, previousAttributes(before, subscription));
  return schedule;
}

function requireChangeable(schedule: StripeObject, action: string): void {
  if (schedule.status !== 'not_started' && schedule.status !== 'active') {
    throw invalidRequest(
      `You cannot ${action} a subscription schedule that is currently in the \`${schedule.status}\` status. It must be in \`not_started\` or \`active\`.`,
    );
  }
}

function subscriptionOf(context: EmulatorContext, schedule: StripeObject): StripeObject | undefined {
  return schedule.subscription ? context.store.get(schedule.subscription, 'subscription') : undefined;
}

/** The `items` changes that turn the subscription's items into the phase's: same prices keep their item. */
function itemChanges(subscription: StripeObject, phase: Phase): Params[] {
  const current: StripeObject[] = subscription.items.data;
  const wanted: Params[] = phase.items;
  const kept = current.filter((item) => wanted.some((entry) => entry.price === item.price.id));
  return [
    ...kept.map((item) => ({ id: item.id, quantity: String(wanted.find((entry) => entry.price === item.price.id)!.quantity) })),
    ...wanted
      .filter((entry) => !current.some((item) => item.price.id === entry.price))
      .map((entry) => ({ price: entry.price, quantity: String(entry.quantity) })),
    ...current.filter((item) => !kept.includes(item)).map((item) => ({ id: item.id, deleted: 'true' })),
  ];
}

/** Puts the subscription on `phase`'s items (no proration: phases change at period boundaries or on request). */
function applyPhase(context: EmulatorContext, subscription: StripeObject, phase: Phase, meta: RequestMeta, proration = 'none'): void {
  if (subscription.status === 'canceled') return;
  updateSubscription(context, subscription, { items: itemChanges(subscription, phase), proration_behavior: proration }, meta);
}

function updateSubscriptionSchedule(context: EmulatorContext, schedule: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, UPDATE);
  requireChangeable(schedule, 'update');
  const before = structuredClone(schedule);
  const now = context.now();
  const proration = optionalEnum(params.proration_behavior, 'proration_behavior', PRORATION_BEHAVIORS) ?? 'create_prorations';
  if (params.phases !== undefined) {
    const first = arrayOf(params.phases)[0];
    const start = timestampOrNow(first?.start_date, 'phases[0][start_date]', now) ?? schedule.phases[0].start_date;
    schedule.phases = buildPhases(context, params.phases, start);
  }
  if (params.end_behavior !== undefined) schedule.end_behavior = optionalEnum(params.end_behavior, 'end_behavior', END_BEHAVIORS);
  if (params.default_settings !== undefined) schedule.default_settings = defaultSettingsOf(params.default_settings, schedule.default_settings);
  schedule.metadata = mergeMetadata(schedule.metadata, params.metadata);
  const subscription = subscriptionOf(context, schedule);
  const phase = phaseAt(schedule, now);
  if (schedule.status === 'active' && phase) {
    schedule.current_phase = currentPhaseOf(phase);
    if (subscription && params.phases !== undefined) applyPhase(context, subscription, phase, meta, proration);
  }
  emitIfChanged(context, 'subscription_schedule.updated', before, schedule, meta);
  return schedule;
}

/** Cancels the schedule and, if it runs one, its subscription (customer.subscription.deleted first). */
function cancelSubscriptionSchedule(context: EmulatorContext, schedule: StripeObject, meta: RequestMeta): StripeObject {
  requireChangeable(schedule, 'cancel');
  schedule.status = 'canceled';
  schedule.canceled_at = context.now();
  schedule.current_phase = null;
  const subscription = subscriptionOf(context, schedule);
  if (subscription && subscription.status !== 'canceled') cancelSubscription(context, subscription, meta);
  context.emit('subscription_schedule.canceled', schedule, meta);
  return schedule;
}

/** Stops scheduling; the subscription keeps running on its own (customer.subscription.updated: schedule null). */
function releaseSubscriptionSchedule(context: EmulatorContext, schedule: StripeObject, meta: RequestMeta): StripeObject {
  requireChangeable(schedule, 'release');
  const subscription = subscriptionOf(context, schedule);
  detach(context, schedule, 'released');
  context.emit('subscription_schedule.released', schedule, meta);
  if (subscription) announceDetached(context, subscription, meta);
  return schedule;
}

/** The schedule lets go of its subscription: `released_subscription` names it from now on. */
function detach(context: EmulatorContext, schedule: StripeObject, status: 'released' | 'completed'): void {
  schedule.status = status;
  schedule[status === 'released' ? 'released_at' : 'completed_at'] = context.now();
  schedule.released_subscription = schedule.subscription;
  schedule.subscription = null;
  schedule.current_phase = null;
}

function announceDetached(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): void {
  const before = structuredClone(subscription);
  subscription.schedule = null;
  context.emit('customer.subscription.updated', subscription, meta, previousAttributes(before, subscription));
}

function activeScheduleOf(context: EmulatorContext, subscription: StripeObject): StripeObject | undefined {
  const schedule = subscription.schedule ? context.store.get(subscription.schedule, 'subscription_schedule') : undefined;
  return schedule?.status === 'active' ? schedule : undefined;
}

/** As the clock moves on to `until` for this subscription: subscription_schedule.expiring when its notice falls in between. */
function noticeScheduleExpiring(context: EmulatorContext, subscription: StripeObject, until: number, meta: RequestMeta): void {
  const schedule = activeScheduleOf(context, subscription);
  if (!schedule) return;
  const noticeAt = schedule.phases.at(-1).end_date - EXPIRING_NOTICE_SECONDS;
  if (noticeAt <= context.now() || noticeAt > until) return;
  context.advanceClockTo(noticeAt);
  context.emit('subscription_schedule.expiring', schedule, meta);
}

/**
 * When the clock reached a period end of the subscription, before it renews: the next phase
 * takes over (subscription_schedule.updated), or the last one ended and the schedule completes
 * (subscription_schedule.completed), releasing the subscription or canceling it. Returns true when
 * the subscription ended.
 */
function enterSchedulePhase(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): boolean {
  const schedule = activeScheduleOf(context, subscription);
  if (!schedule) return false;
  const now = context.now();
  const phase = phaseAt(schedule, now);
  if (phase) {
    if (phase.start_date === schedule.current_phase?.start_date) return false;
    const before = structuredClone(schedule);
    schedule.current_phase = currentPhaseOf(phase);
    applyPhase(context, subscription, phase, meta);
    context.emit('subscription_schedule.updated', schedule, meta, previousAttributes(before, schedule));
    return false;
  }
  if (schedule.end_behavior === 'cancel') {
    schedule.status = 'completed';
    schedule.completed_at = now;
    schedule.current_phase = null;
    cancelSubscription(context, subscription, meta);
    context.emit('subscription_schedule.completed', schedule, meta);
    return true;
  }
  detach(context, schedule, 'completed');
  context.emit('subscription_schedule.completed', schedule, meta);
  subscription.schedule = null;
  return false;
}

export const subscriptionSchedules: ResourceModule = (context) => {
  const { store } = context;
  onPeriodEnd(context, {
    approaching: (subscription, periodEnd, meta) => noticeScheduleExpiring(context, subscription, periodEnd, meta),
    reached: (subscription, meta) => enterSchedulePhase(context, subscription, meta),
  });
  // A subscription canceled on its own (API, portal, customer deletion) takes its active schedule with it.
  context.onEvent((event) => {
    if (event.type !== 'customer.subscription.deleted') return;
    const subscription = store.get((event.data.object as { id: string }).id, 'subscription');
    const schedule = subscription ? activeScheduleOf(context, subscription) : undefined;
    if (!schedule) return;
    schedule.status = 'canceled';
    schedule.canceled_at = context.now();
    schedule.current_phase = null;
    context.emit('subscription_schedule.canceled', schedule, { requestId: event.request?.id ?? null, idempotencyKey: event.request?.idempotency_key ?? null });
  });
  const scheduleAt = (id: string) => requireObject(store, 'subscription_schedule', id);
  return [
    {
      method: 'POST',
      path: '/v1/subscription_schedules',
      handle: ({ params, meta }) => expand(createSubscriptionSchedule(context, params, meta), expandPaths(params), store),
    },
    retrieveRoute(context, '/v1/subscription_schedules/:id', 'subscription_schedule'),
    objectActionRoute(context, '/v1/subscription_schedules/:id', 'subscription_schedule', updateSubscriptionSchedule),
    {
      method: 'POST',
      path: '/v1/subscription_schedules/:id/cancel',
      handle({ pathParams, params, meta }) {
        checkParams(params, { invoice_now: 'value', prorate: 'value' });
        return expand(cancelSubscriptionSchedule(context, scheduleAt(pathParams.id!), meta), expandPaths(params), store);
      },
    },
    {
      method: 'POST',
      path: '/v1/subscription_schedules/:id/release',
      handle({ pathParams, params, meta }) {
        checkParams(params, { preserve_cancel_date: 'value' });
        return expand(releaseSubscriptionSchedule(context, scheduleAt(pathParams.id!), meta), expandPaths(params), store);
      },
    },
    listRoute(context, '/v1/subscription_schedules', 'subscription_schedule', {
      filters: { customer: 'value', customer_account: 'value', scheduled: 'value', canceled_at: 'map', completed_at: 'map', released_at: 'map' },
      where(params) {
        const customer = optionalString(params.customer, 'customer');
        const scheduled = optionalBoolean(params.scheduled, 'scheduled');
        const within = (value: number | null, filter: unknown) => filter === undefined || (value !== null && matchesCreated(value, filter));
        return (schedule) =>
          (customer === undefined || schedule.customer === customer) &&
          (scheduled === undefined || (schedule.status === 'not_started') === scheduled) &&
          within(schedule.canceled_at, params.canceled_at) &&
          within(schedule.completed_at, params.completed_at) &&
          within(schedule.released_at, params.released_at);
      },
    }),
  ];
};

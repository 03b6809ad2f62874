/**
 * Shapes of Stripe's wire protocol shared by the resources: lists with cursor pagination, search
 * results, `expand[]`, and the `previous_attributes` of update events.
 */
import type { EmulatorContext, RequestMeta } from './context';
import { invalidParameter, StripeApiError } from './errors';
import { optionalInteger, optionalString, type Params } from './params';
import { clone, type Store, type StripeObject } from './store';

export interface StripeList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/** One page of `items` (newest first), following limit / starting_after / ending_before as Stripe does. */
export function paginate(items: StripeObject[], params: Params, url: string): StripeList<StripeObject> {
  const limit = pageLimit(params.limit);
  const startingAfter = optionalString(params.starting_after, 'starting_after');
  const endingBefore = optionalString(params.ending_before, 'ending_before');
  if (startingAfter && endingBefore) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      message: 'You may only specify one of these parameters: ending_before, starting_after.',
    });
  }
  if (endingBefore) {
    const end = cursorIndex(items, endingBefore, 'ending_before');
    const start = Math.max(0, end - limit);
    return { object: 'list', data: items.slice(start, end), has_more: start > 0, url };
  }
  const start = startingAfter ? cursorIndex(items, startingAfter, 'starting_after') + 1 : 0;
  return { object: 'list', data: items.slice(start, start + limit), has_more: start + limit < items.length, url };
}

function pageLimit(value: unknown): number {
  const limit = optionalInteger(value, 'limit') ?? 10;
  if (limit < 1 || limit > 100) {
    throw invalidParameter('limit', 'This value must be greater than or equal to 1 and less than or equal to 100.', 'parameter_invalid_integer');
  }
  return limit;
}

function cursorIndex(items: StripeObject[], id: string, param: string): number {
  const index = items.findIndex((item) => item.id === id);
  if (index < 0) throw invalidParameter(param, `No such object: '${id}'`, 'resource_missing');
  return index;
}

/** Search results page by an opaque `page` token (here: the offset, encoded). */
export function searchPage(items: StripeObject[], params: Params, url: string) {
  const limit = pageLimit(params.limit);
  const page = optionalString(params.page, 'page');
  const offset = page ? Number(Buffer.from(page, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalidParameter('page', 'Invalid page token.');
  const data = items.slice(offset, offset + limit);
  const hasMore = offset + limit < items.length;
  return {
    object: 'search_result' as const,
    data,
    has_more: hasMore,
    next_page: hasMore ? Buffer.from(String(offset + limit), 'utf8').toString('base64url') : null,
    url,
  };
}

/** Newest first, as Stripe lists; ties on `created` keep the later-created object first. */
export function newestFirst(items: StripeObject[]): StripeObject[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => b.item.created - a.item.created || b.index - a.index)
    .map(({ item }) => item);
}

/** Filters on `created` given as an integer or as {gt, gte, lt, lte}. */
export function matchesCreated(created: number, filter: unknown): boolean {
  if (filter === undefined || filter === '') return true;
  if (typeof filter !== 'object' || filter === null) return created === optionalInteger(filter, 'created');
  const range = filter as Record<string, unknown>;
  const bound = (key: string) => optionalInteger(range[key], `created[${key}]`);
  const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
  return (
    (gt === undefined || created > gt) && (gte === undefined || created >= gte) && (lt === undefined || created < lt) && (lte === undefined || created <= lte)
  );
}

/**
 * A copy of `object` with `expand[]` paths replaced by the objects they name, e.g. `latest_invoice`,
 * `customer`, `items.data.price.product`; on lists, paths start with `data.`.
 */
export function expand<T>(value: T, paths: string[], store: Store): T {
  const copy = clone(value);
  for (const path of paths) expandPath(copy, path.split('.'), store);
  return copy;
}

function expandPath(target: unknown, segments: string[], store: Store): void {
  if (target === null || typeof target !== 'object') return;
  if (Array.isArray(target)) {
    for (const element of target) expandPath(element, segments, store);
    return;
  }
  const [head, ...rest] = segments;
  if (!head) return;
  const record = target as Record<string, unknown>;
  const current = record[head];
  if (rest.length > 0) {
    expandPath(current, rest, store);
    return;
  }
  // A field may hold one id or a list of ids (`discounts`): each id is replaced by its object.
  if (Array.isArray(current)) record[head] = current.map((element: unknown) => expandedId(element, store));
  else record[head] = expandedId(current, store);
}

function expandedId(value: unknown, store: Store): unknown {
  const found = typeof value === 'string' ? store.get(value) : undefined;
  return found ? clone(found) : value;
}

/** Top-level fields whose values changed, with their old values (Stripe's `previous_attributes`). */
export function previousAttributes(before: StripeObject, after: StripeObject): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key] ?? null;
  }
  return previous;
}

/** Emits `type` (an `*.updated` event) with the previous_attributes of what changed since `before`; nothing when nothing did. */
export function emitIfChanged(context: EmulatorContext, type: string, before: StripeObject, after: StripeObject, meta: RequestMeta): void {
  const previous = previousAttributes(before, after);
  if (Object.keys(previous).length > 0) context.emit(type, after, meta, previous);
}

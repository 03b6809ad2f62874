/**
 * Route factories for the shapes every resource repeats: retrieve one object by id, apply an update or
 * action to one object by id, and list objects
 * of one type newest first with `created`, cursors, `limit` and `expand[]`.
 */
import type { EmulatorContext, RequestMeta, Route } from './context';
import { requireObject } from './lookup';
import { checkParams, expandPaths, type ParamSpec, type Params } from './params';
import type { StripeObject } from './store';
import { expand, matchesCreated, newestFirst, paginate } from './wire';

const PAGING: Record<string, ParamSpec> = { created: 'map', limit: 'value', starting_after: 'value', ending_before: 'value' };

/** An operation on one object: Stripe's update and action endpoints all take the object, params and request. */
export type ObjectAction = (context: EmulatorContext, object: StripeObject, params: Params, meta: RequestMeta) => StripeObject;

/** POST `path` (with `:id`): the object of `type` (or 404), changed by `action`, answered expanded as asked. */
export function objectActionRoute(context: EmulatorContext, path: string, type: string, action: ObjectAction): Route {
  return {
    method: 'POST',
    path,
    handle: ({ pathParams, params, meta }) =>
      expand(action(context, requireObject(context.store, type, pathParams.id!), params, meta), expandPaths(params), context.store),
  };
}

/** GET `path` (ending in `/:id`): the object of `type`, expanded as asked, or 404. */
export function retrieveRoute(context: EmulatorContext, path: string, type: string): Route {
  return {
    method: 'GET',
    path,
    handle({ pathParams, params }) {
      checkParams(params, {});
      return expand(requireObject(context.store, type, pathParams.id!), expandPaths(params), context.store);
    },
  };
}

export interface ListOptions {
  /** Query parameters beyond paging and `created`. */
  filters?: Record<string, ParamSpec>;
  /** Builds the predicate from the (checked) parameters, so bad values fail before any object is read. */
  where?: (params: Params) => (object: StripeObject) => boolean;
  /** The list's `url` when it differs from `path` (e.g. a path with the parent's id). */
  url?: (params: Params, pathParams: Record<string, string>) => string;
  /** Objects to list instead of every object of the type (e.g. a customer's). */
  source?: (pathParams: Record<string, string>) => StripeObject[];
}

/** GET `path`: objects of `type`, newest first, filtered and paginated like Stripe's list endpoints. */
export function listRoute(context: EmulatorContext, path: string, type: string, options: ListOptions = {}): Route {
  return {
    method: 'GET',
    path,
    handle({ params, pathParams }) {
      checkParams(params, { ...PAGING, ...options.filters });
      const keep = options.where?.(params) ?? (() => true);
      const candidates = options.source?.(pathParams) ?? context.store.all(type);
      const found = newestFirst(candidates).filter((object) => keep(object) && matchesCreated(object.created, params.created));
      const url = options.url?.(params, pathParams) ?? path;
      return expand(paginate(found, params, url), expandPaths(params), context.store);
    },
  };
}

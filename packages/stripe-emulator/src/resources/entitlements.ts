/**
 * Stripe Entitlements: features (one unique lookup_key per capability of the app), product features
 * (which products grant which features) and each customer's active entitlements.
 *
 * Active entitlements are derived, as Stripe derives them: a customer is entitled to every feature of
 * every product on their active, trialing or past_due subscriptions. They are recomputed whenever one
 * of the customer's subscriptions changes (created, updated, paused, resumed, deleted); when the set
 * changes, `entitlements.active_entitlement_summary.updated` carries the new summary and the old list
 * in previous_attributes. Attaching or removing a product feature changes nothing at once: Stripe
 * applies it to existing subscriptions at their next period, whose renewal is a subscription change.
 */
import { type EmulatorContext, NO_REQUEST, type ResourceModule } from '../context';
import { invalidParameter, invalidRequest, noSuch } from '../errors';
import { requireObject } from '../lookup';
import { checkParams, expandPaths, mergeMetadata, optionalBoolean, optionalString, type Params, required, requireMaxLength } from '../params';
import { listRoute, objectActionRoute, retrieveRoute } from '../routes';
import { newId, type StripeObject } from '../store';
import { expand, previousAttributes } from '../wire';

const MAX_LOOKUP_KEY = 80;
/** Subscription statuses that grant their products' features. */
const GRANTING_STATUSES = ['active', 'trialing', 'past_due'];

/** The emulator's private link from a product feature to its product (the wire object does not name it). */
interface ProductFeatureLink extends StripeObject {
  object: 'emulator.product_feature_link';
  product: string;
  productFeature: string;
  feature: string;
}

/** The emulator's private record of a customer's current active entitlements, oldest first. */
interface EntitlementRecord extends StripeObject {
  object: 'emulator.entitlement_record';
  customer: string;
  entitlements: string[];
}

// ---------- features ----------

function createFeature(context: EmulatorContext, params: Params): StripeObject {
  checkParams(params, { lookup_key: 'value', name: 'value', metadata: 'map' });
  const lookupKey = required(optionalString(params.lookup_key, 'lookup_key'), 'lookup_key');
  const name = required(optionalString(params.name, 'name'), 'name');
  requireMaxLength(lookupKey, 'lookup_key', MAX_LOOKUP_KEY);
  if (context.store.all('entitlements.feature').some((feature) => feature.lookup_key === lookupKey)) {
    throw invalidParameter('lookup_key', `A feature with the lookup_key '${lookupKey}' already exists.`);
  }
  return context.store.put({
    id: newId('feat'),
    object: 'entitlements.feature',
    active: true,
    livemode: false,
    lookup_key: lookupKey,
    metadata: mergeMetadata({}, params.metadata),
    name,
  });
}

/** Renames, re-tags or permanently deactivates a feature; product features show the new state. */
function updateFeature(context: EmulatorContext, feature: StripeObject, params: Params): StripeObject {
  checkParams(params, { active: 'value', metadata: 'map', name: 'value' });
  const active = optionalBoolean(params.active, 'active');
  if (active === true && !feature.active) throw invalidRequest(`The feature '${feature.id}' was deactivated and cannot be reactivated.`, 'active');
  const name = optionalString(params.name, 'name');
  if (name === '') throw invalidParameter('name', 'A feature needs a name.');
  if (active !== undefined) feature.active = active;
  if (name !== undefined) feature.name = name;
  feature.metadata = mergeMetadata(feature.metadata, params.metadata);
  for (const productFeature of context.store.all('product_feature')) {
    if (productFeature.entitlement_feature.id === feature.id) productFeature.entitlement_feature = structuredClone(feature);
  }
  return feature;
}

// ---------- product features ----------

function links(context: EmulatorContext): ProductFeatureLink[] {
  return context.store.all('emulator.product_feature_link') as ProductFeatureLink[];
}

function attachFeature(context: EmulatorContext, product: StripeObject, params: Params): StripeObject {
  checkParams(params, { entitlement_feature: 'value' });
  const featureId = required(optionalString(params.entitlement_feature, 'entitlement_feature'), 'entitlement_feature');
  const feature = requireObject(context.store, 'entitlements.feature', featureId, 'entitlement_feature');
  if (!feature.active) throw invalidParameter('entitlement_feature', `The feature '${feature.id}' is inactive and cannot be attached to products.`);
  if (links(context).some((link) => link.product === product.id && link.feature === feature.id)) {
    throw invalidParameter('entitlement_feature', `The feature '${feature.id}' is already attached to the product '${product.id}'.`);
  }
  const productFeature = context.store.put({ id: newId('prodft'), object: 'product_feature', entitlement_feature: structuredClone(feature), livemode: false });
  context.store.put({
    id: newId('pfl'),
    object: 'emulator.product_feature_link',
    product: product.id,
    productFeature: productFeature.id,
    feature: feature.id,
  } satisfies ProductFeatureLink);
  return productFeature;
}

function productFeatureOf(context: EmulatorContext, product: StripeObject, id: string): { productFeature: StripeObject; link: ProductFeatureLink } {
  const link = links(context).find((candidate) => candidate.product === product.id && candidate.productFeature === id);
  const productFeature = link && context.store.get(id, 'product_feature');
  if (!link || !productFeature) throw noSuch('product_feature', id);
  return { productFeature, link };
}

// ---------- active entitlements and their summary ----------

/** The features a customer's granting subscriptions give, each once, in subscription and item order. */
function grantedFeatures(context: EmulatorContext, customer: string): StripeObject[] {
  const products = context.store
    .all('subscription')
    .filter((subscription) => subscription.customer === customer && GRANTING_STATUSES.includes(subscription.status))
    .flatMap((subscription) => subscription.items.data.map((item: StripeObject) => item.price.product as string));
  const featureIds = products.flatMap((product) =>
    links(context)
      .filter((link) => link.product === product)
      .map((link) => link.feature),
  );
  return [...new Set(featureIds)].map((id) => context.store.get(id, 'entitlements.feature')).filter((feature): feature is StripeObject => Boolean(feature));
}

function findRecord(context: EmulatorContext, customer: string): EntitlementRecord | undefined {
  return context.store.all('emulator.entitlement_record').find((record) => record.customer === customer) as EntitlementRecord | undefined;
}

function activeEntitlements(context: EmulatorContext, customer: string): StripeObject[] {
  return (findRecord(context, customer)?.entitlements ?? [])
    .map((id) => context.store.get(id, 'entitlements.active_entitlement'))
    .filter((entitlement): entitlement is StripeObject => Boolean(entitlement));
}

function summaryOf(customer: string, entitlements: StripeObject[]): StripeObject {
  return {
    object: 'entitlements.active_entitlement_summary',
    customer,
    entitlements: { object: 'list', data: structuredClone(entitlements), has_more: false, url: `/v1/customer/${customer}/entitlements` },
    livemode: false,
  } as unknown as StripeObject;
}

/**
 * Brings a customer's active entitlements in line with their subscriptions; emits the summary event
 * only when the set of features changed. Entitlements that stay keep their ids.
 */
function refreshEntitlements(context: EmulatorContext, customer: string): void {
  const granted = grantedFeatures(context, customer);
  const current = activeEntitlements(context, customer);
  const currentByFeature = new Map(current.map((entitlement) => [entitlement.feature as string, entitlement]));
  const unchanged = granted.length === current.length && granted.every((feature) => currentByFeature.has(feature.id));
  if (unchanged) return;
  const next = granted.map(
    (feature) =>
      currentByFeature.get(feature.id) ??
      context.store.put({ id: newId('ent'), object: 'entitlements.active_entitlement', feature: feature.id, livemode: false, lookup_key: feature.lookup_key }),
  );
  for (const entitlement of current) if (!next.includes(entitlement)) context.store.markDeleted(entitlement.id);
  const record =
    findRecord(context, customer) ??
    context.store.put({ id: newId('entrec'), object: 'emulator.entitlement_record', customer, entitlements: [] } satisfies EntitlementRecord);
  record.entitlements = next.map((entitlement) => entitlement.id);
  const before = summaryOf(customer, current);
  const after = summaryOf(customer, next);
  // Stripe recalculates entitlements after the subscription change, not as part of the API request.
  context.emit('entitlements.active_entitlement_summary.updated', after, NO_REQUEST, previousAttributes(before, after));
}

export const entitlements: ResourceModule = (context) => {
  const { store } = context;
  context.onEvent((event) => {
    if (!event.type.startsWith('customer.subscription.')) return;
    refreshEntitlements(context, (event.data.object as { customer: string }).customer);
  });
  return [
    {
      method: 'POST',
      path: '/v1/entitlements/features',
      handle: ({ params }) => expand(createFeature(context, params), expandPaths(params), store),
    },
    retrieveRoute(context, '/v1/entitlements/features/:id', 'entitlements.feature'),
    objectActionRoute(context, '/v1/entitlements/features/:id', 'entitlements.feature', updateFeature),
    // Archived (inactive) features are listed only when asked for with archived=true.
    listRoute(context, '/v1/entitlements/features', 'entitlements.feature', {
      filters: { archived: 'value', lookup_key: 'value' },
      where(params) {
        const archived = optionalBoolean(params.archived, 'archived') ?? false;
        const lookupKey = optionalString(params.lookup_key, 'lookup_key');
        return (feature) => feature.active === !archived && (lookupKey === undefined || feature.lookup_key === lookupKey);
      },
    }),
    objectActionRoute(context, '/v1/products/:id/features', 'product', attachFeature),
    listRoute(context, '/v1/products/:id/features', 'product_feature', {
      source(pathParams) {
        const product = requireObject(store, 'product', pathParams.id!);
        return links(context)
          .filter((link) => link.product === product.id)
          .map((link) => store.get(link.productFeature, 'product_feature'))
          .filter((productFeature): productFeature is StripeObject => Boolean(productFeature));
      },
      url: (_params, pathParams) => `/v1/products/${pathParams.id}/features`,
    }),
    {
      method: 'GET',
      path: '/v1/products/:id/features/:feature',
      handle({ pathParams, params }) {
        checkParams(params, {});
        const product = requireObject(store, 'product', pathParams.id!);
        return expand(productFeatureOf(context, product, pathParams.feature!).productFeature, expandPaths(params), store);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/products/:id/features/:feature',
      handle({ pathParams, params }) {
        checkParams(params, {});
        const product = requireObject(store, 'product', pathParams.id!);
        const { productFeature, link } = productFeatureOf(context, product, pathParams.feature!);
        store.markDeleted(productFeature.id);
        store.markDeleted(link.id);
        return { id: productFeature.id, object: 'product_feature', deleted: true };
      },
    },
    listRoute(context, '/v1/entitlements/active_entitlements', 'entitlements.active_entitlement', {
      filters: { customer: 'value' },
      where(params) {
        const customer = requireObject(store, 'customer', required(optionalString(params.customer, 'customer'), 'customer'), 'customer');
        const ids = new Set(findRecord(context, customer.id)?.entitlements ?? []);
        return (entitlement) => ids.has(entitlement.id);
      },
    }),
    retrieveRoute(context, '/v1/entitlements/active_entitlements/:id', 'entitlements.active_entitlement'),
  ];
};

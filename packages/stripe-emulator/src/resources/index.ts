/**
 * The resource registry: each module contributes its routes. A new Stripe resource (setup intents,
 * payment methods) is a new module in this list; nothing else changes.
 */
import type { ResourceModule } from '../context';
import { checkoutSessions } from './checkout-sessions';
import { coupons } from './coupons';
import { customerSourceRoutes } from './customer-sources';
import { customers } from './customers';
import { entitlements } from './entitlements';
import { events } from './events';
import { invoiceItems } from './invoice-items';
import { invoices } from './invoices';
import { paymentIntents } from './payment-intents';
import { paymentMethods } from './payment-methods';
import { portalConfigurations } from './portal-configurations';
import { portalSessions } from './portal-sessions';
import { products } from './products';
import { setupIntents } from './setup-intents';
import { subscriptionSchedules } from './subscription-schedules';
import { subscriptions } from './subscriptions';

export const RESOURCES: readonly ResourceModule[] = [
  customers,
  products,
  subscriptions,
  invoices,
  invoiceItems,
  coupons,
  subscriptionSchedules,
  paymentMethods,
  customerSourceRoutes,
  setupIntents,
  paymentIntents,
  checkoutSessions,
  portalConfigurations,
  portalSessions,
  events,
  entitlements,
];

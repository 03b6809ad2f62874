/**
 * The resource registry: each module contributes its routes. A new Stripe resource (setup intents,
 * payment methods) is a new module in this list; nothing else changes.
 */
import type { ResourceModule } from '../context';
import { customers } from './customers';
import { events } from './events';
import { invoices } from './invoices';
import { paymentMethods } from './payment-methods';
import { portalConfigurations } from './portal-configurations';
import { portalSessions } from './portal-sessions';
import { products } from './products';
import { subscriptions } from './subscriptions';

export const RESOURCES: readonly ResourceModule[] = [
  customers,
  products,
  subscriptions,
  invoices,
  paymentMethods,
  portalConfigurations,
  portalSessions,
  events,
];

/** Payment methods: the cards recorded by the hosted portal, retrievable and listable per customer. */
import type { ResourceModule } from '../context';
import { noSuch } from '../errors';
import { checkParams, expandPaths, optionalString } from '../params';
import type { StripeObject } from '../store';
import { expand, newestFirst, paginate } from '../wire';
import { requireCustomer } from './customers';

const LIST = { type: 'value', limit: 'value', starting_after: 'value', ending_before: 'value', allow_redisplay: 'value' } as const;

export const paymentMethods: ResourceModule = (context) => {
  const { store } = context;
  const ofCustomer = (customer: string, type: string | undefined): StripeObject[] =>
    newestFirst(store.all('payment_method')).filter((method) => method.customer === customer && (type === undefined || method.type === type));
  return [
    {
      method: 'GET',
      path: '/v1/payment_methods/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        const method = store.get(pathParams.id!, 'payment_method');
        if (!method) throw noSuch('PaymentMethod', pathParams.id!);
        return expand(method, expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/payment_methods',
      handle({ params }) {
        checkParams(params, { ...LIST, customer: 'value' });
        const customer = optionalString(params.customer, 'customer');
        const type = optionalString(params.type, 'type');
        const found = customer ? ofCustomer(requireCustomer(context, customer, 'customer').id, type) : [];
        return expand(paginate(found, params, '/v1/payment_methods'), expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/customers/:id/payment_methods',
      handle({ pathParams, params }) {
        checkParams(params, LIST);
        const customer = requireCustomer(context, pathParams.id!);
        const found = ofCustomer(customer.id, optionalString(params.type, 'type'));
        return expand(paginate(found, params, `/v1/customers/${customer.id}/payment_methods`), expandPaths(params), store);
      },
    },
  ];
};

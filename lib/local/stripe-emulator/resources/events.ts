/** Events: retrieve and list (newest first; type with `*` wildcards, types[], created range, cursors). */
import type { ResourceModule } from '../context';
import { invalidRequest, noSuch } from '../errors';
import { arrayOf, checkParams, optionalString } from '../params';
import { matchesCreated, newestFirst, paginate } from '../wire';

function typeMatcher(pattern: string): (type: string) => boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (type) => regex.test(type);
}

export const events: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'GET',
      path: '/v1/events/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        const event = store.get(pathParams.id!, 'event');
        if (!event) throw noSuch('event', pathParams.id!);
        return event;
      },
    },
    {
      method: 'GET',
      path: '/v1/events',
      handle({ params }) {
        checkParams(params, { type: 'value', types: ['value'], created: 'map', delivery_success: 'value', limit: 'value', starting_after: 'value', ending_before: 'value' });
        const type = optionalString(params.type, 'type');
        const types = arrayOf<string>(params.types);
        if (type && types.length > 0) throw invalidRequest('You may only specify one of these parameters: type, types.');
        const matchers = (type ? [type] : types).map(typeMatcher);
        const found = newestFirst(store.all('event')).filter(
          (event) => (matchers.length === 0 || matchers.some((matches) => matches(event.type))) && matchesCreated(event.created, params.created),
        );
        return paginate(found, params, '/v1/events');
      },
    },
  ];
};

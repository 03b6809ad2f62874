/** Events: retrieve and list (newest first; type with `*` wildcards, types[], created range, cursors). */
import type { ResourceModule } from '../context';
import { invalidRequest } from '../errors';
import { arrayOf, optionalString } from '../params';
import { listRoute, retrieveRoute } from '../routes';

function typeMatcher(pattern: string): (type: string) => boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (type) => regex.test(type);
}

export const events: ResourceModule = (context) => [
  retrieveRoute(context, '/v1/events/:id', 'event'),
  listRoute(context, '/v1/events', 'event', {
    filters: { type: 'value', types: ['value'], delivery_success: 'value' },
    where(params) {
      const type = optionalString(params.type, 'type');
      const types = arrayOf<string>(params.types);
      if (type && types.length > 0) throw invalidRequest('You may only specify one of these parameters: type, types.');
      const matchers = (type ? [type] : types).map(typeMatcher);
      return (event) => matchers.length === 0 || matchers.some((matches) => matches(event.type));
    },
  }),
];

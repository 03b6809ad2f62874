/**
 * Matches request paths against API Gateway route paths such as `/v1/subscriptions/{id}/pause`,
 * producing the route key and path parameters API Gateway would put in the event.
 */
import type { ApiRoute } from '#handlers/routes';

export interface RouteMatch<R extends ApiRoute = ApiRoute> {
  route: R;
  /** "METHOD /path" exactly as in the CDK route definition. */
  routeKey: string;
  pathParameters: Record<string, string> | undefined;
}

interface CompiledRoute<R extends ApiRoute> {
  route: R;
  pattern: RegExp;
  names: string[];
}

export function compileRoutes<R extends ApiRoute>(routes: readonly R[]): (method: string, pathname: string) => RouteMatch<R> | undefined {
  const compiled = routes.map(compileRoute);
  return (method, pathname) => {
    for (const { route, pattern, names } of compiled) {
      if (route.method !== method.toUpperCase()) continue;
      const match = pattern.exec(pathname);
      if (!match) continue;
      const pathParameters = names.length === 0 ? undefined : Object.fromEntries(names.map((name, i) => [name, safeDecode(match[i + 1]!)]));
      return { route, routeKey: `${route.method} ${route.path}`, pathParameters };
    }
    return undefined;
  };
}

function compileRoute<R extends ApiRoute>(route: R): CompiledRoute<R> {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (!param) return escapeRegExp(segment);
      names.push(param[1]!);
      // `{name+}` is API Gateway's greedy parameter: it spans the rest of the path.
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Matches a method and path against the routes of every resource module; literal segments win over `:params`. */
import type { Route } from './context';

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
  specificity: number;
}

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: Route[]) {
    this.compiled = routes
      .map((route) => {
        const names: string[] = [];
        const source = route.path
          .split('/')
          .map((segment) => {
            if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            names.push(segment.slice(1));
            return '([^/]+)';
          })
          .join('/');
        return { route, pattern: new RegExp(`^${source}/?$`), names, specificity: names.length };
      })
      .sort((a, b) => a.specificity - b.specificity);
  }

  match(method: string, path: string): { route: Route; pathParams: Record<string, string> } | undefined {
    for (const { route, pattern, names } of this.compiled) {
      if (route.method !== method) continue;
      const match = pattern.exec(path);
      if (!match) continue;
      const pathParams: Record<string, string> = {};
      for (const [index, name] of names.entries()) pathParams[name] = decodeURIComponent(match[index + 1]!);
      return { route, pathParams };
    }
    return undefined;
  }
}

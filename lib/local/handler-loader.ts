/**
 * The route table's handler names -> the Lambda handler modules in functions/handlers, loaded as a
 * Lambda cold start would load them, and the local stack's answer for a route whose module is not
 * written yet (501 not_implemented).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { HandlerName } from '#handlers/routes';
import { gatewayReplies, type HttpReply, json } from './lambda-bridge';
import type { RouteMatch } from './route-matcher';

export type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

/** Handlers without a route: the local stack runs them itself on a timer (EventBridge Scheduler in AWS). */
type ScheduledHandlerName = 'pause-resumer';

/** The handler for a name; undefined while its module does not exist or exports no `handler`. */
export type LoadHandler = (name: HandlerName) => LambdaHandler | undefined;

/** The same for a scheduled handler. */
export type LoadScheduledHandler = (name: ScheduledHandlerName) => LambdaHandler | undefined;

export interface HandlerModules {
  load: (name: HandlerName | ScheduledHandlerName) => LambdaHandler | undefined;
  /** Forgets the loaded modules, so that the next load is a fresh cold start. */
  unload(): void;
}

const HANDLERS_DIR = path.resolve(__dirname, '../../functions/handlers');

/**
 * Loads functions/handlers/<name>.ts on first use. `unload` drops the modules again so that a later
 * stack in the same process gets fresh cold starts with its own environment (under jest, which keeps
 * its own module registry, run one stack with real handlers per test file).
 */
export function handlerModules(dir: string = HANDLERS_DIR): HandlerModules {
  const loaded = new Map<HandlerName | ScheduledHandlerName, { file: string; handler: LambdaHandler }>();
  return {
    load(name) {
      const cached = loaded.get(name);
      if (cached) return cached.handler;
      const file = path.join(dir, `${name}.ts`);
      if (!existsSync(file)) return undefined;
      // A synchronous require, like the Lambda runtime's CommonJS loader: the module runs its cold start here.
      const handler = (require(file) as { handler?: LambdaHandler }).handler;
      if (typeof handler !== 'function') return undefined;
      loaded.set(name, { file, handler });
      return handler;
    },
    unload() {
      for (const { file } of loaded.values()) delete require.cache[require.resolve(file)];
      loaded.clear();
    },
  };
}

/**
 * The handler a matched route invokes, or the reply that stands in for it: 501 while the module is
 * not written yet, API Gateway's bare 500 when loading it throws (the stack is in the log).
 */
export function handlerForRoute(load: LoadHandler, match: RouteMatch, log: (line: string) => void): LambdaHandler | HttpReply {
  let handler: LambdaHandler | undefined;
  try {
    handler = load(match.route.handler);
  } catch (error) {
    log(`handler "${match.route.handler}" failed to load: ${(error as Error).stack ?? String(error)}`);
    return gatewayReplies.internalError();
  }
  return handler ?? notImplemented(match);
}

function notImplemented(match: RouteMatch): HttpReply {
  return json(501, {
    error: {
      code: 'not_implemented',
      message: `${match.routeKey} is routed to functions/handlers/${match.route.handler}.ts, which does not export a handler yet.`,
    },
  });
}

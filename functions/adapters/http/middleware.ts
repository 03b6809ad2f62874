/**
 * The middy stack every HTTP handler shares: the Lambda context on every log line (request id,
 * cold start), the invocation's metrics flushed at its end, header normalisation, the one error
 * mapper. The handlers that read a Stripe secret add the secrets middleware themselves
 * (./secrets-middleware.ts), so that the others never load the Secrets Manager client.
 * No JSON body parser here: the webhook handler needs the raw body for its signature check, and
 * the app handlers parse (and validate) their bodies with zod themselves.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { logger } from '../logger';
import { countStripeError, publishMetrics } from '../metrics';
import { errorResponse, isServerError, stripeErrorClass } from './error-mapper';
import type { HttpResponse } from './response';

export type HttpEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { jwt?: { claims: Record<string, string | number | boolean | string[]>; scopes?: string[] } };
  };
};

export type HttpRoute = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

export type HttpMiddleware = MiddlewareObj<HttpEvent, HttpResponse>;

/** `extra` middlewares run inside the error mapper: their onError still sees the original error. */
export function httpHandler(route: HttpRoute, ...extra: HttpMiddleware[]) {
  return middy<HttpEvent, HttpResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(publishMetrics())
    .use(httpHeaderNormalizer())
    .use({ onError: mapError })
    .use(extra)
    .handler(route);
}

async function mapError(request: Request<HttpEvent, HttpResponse>): Promise<void> {
  const { error } = request;
  const stripeError = stripeErrorClass(error);
  if (stripeError) countStripeError(stripeError);
  if (isServerError(error)) logger.error('request failed', { error: error as Error, path: request.event.rawPath });
  else logger.info('request rejected', { code: (error as { code?: string }).code, path: request.event.rawPath });
  request.response = errorResponse(error);
}

/**
 * The Lambda entry of a handler: its dependencies (configuration, clients) are built on the first
 * invocation of the container, once, and not at import, so that the environment is complete by then
 * (the dev server and the tests set it after loading the module).
 */
export function buildOnFirstCall<Event = HttpEvent, Result = HttpResponse>(
  build: () => (event: Event, context: Context) => Promise<Result>,
): (event: Event, context: Context) => Promise<Result> {
  let built: ((event: Event, context: Context) => Promise<Result>) | undefined;
  return (event, context) => {
    built ??= build();
    return built(event, context);
  };
}

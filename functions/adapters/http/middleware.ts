/**
 * The middy stack every HTTP handler shares: header normalisation and the one error mapper.
 * No JSON body parser here: the webhook handler needs the raw body for its signature check, and
 * the app handlers parse (and validate) their bodies with zod themselves.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { logger } from '../logger';
import { errorResponse, isServerError } from './error-mapper';
import type { HttpResponse } from './response';
import { STRIPE_SECRET_ARN_ENV, stripeSecretsMiddleware } from './secrets-middleware';

export type HttpEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { jwt?: { claims: Record<string, string | number | boolean | string[]>; scopes?: string[] } };
  };
};

export type HttpRoute = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

export function httpHandler(route: HttpRoute) {
  // In AWS the Stripe secrets live in Secrets Manager; locally they are already in the environment.
  const secretArn = process.env[STRIPE_SECRET_ARN_ENV];
  return middy<HttpEvent, HttpResponse>()
    .use(httpHeaderNormalizer())
    .use({
      onError: async (request) => {
        const { error } = request;
        if (isServerError(error)) logger.error('request failed', { error: error as Error, path: request.event.rawPath });
        else logger.info('request rejected', { code: (error as { code?: string }).code, path: request.event.rawPath });
        request.response = errorResponse(error);
      },
    })
    .use(secretArn ? [stripeSecretsMiddleware({ secretId: secretArn })] : [])
    .handler(route);
}

/**
 * The Lambda entry of a handler: its dependencies (configuration, clients) are built on the first
 * invocation of the container, once, and not at import, so that the environment is complete by then
 * (the dev server and the tests set it after loading the module).
 */
export function buildOnFirstCall<Handler extends (event: HttpEvent, context: Context) => Promise<HttpResponse>>(
  build: () => Handler,
): (event: HttpEvent, context: Context) => Promise<HttpResponse> {
  let built: Handler | undefined;
  return (event, context) => (built ??= build())(event, context);
}


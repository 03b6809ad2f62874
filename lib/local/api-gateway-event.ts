/**
 * Builds API Gateway HTTP API (payload format 2.0) events exactly as AWS delivers them to Lambda,
 * so the local server and the tests exercise the same handler code paths as production.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpEvent } from '#adapters/http/middleware';

export interface EventInput {
  method: string;
  /** Path with optional query string, e.g. /v1/entitlements?x=1 */
  url: string;
  /** Route key such as "POST /v1/webhooks/stripe"; defaults to "$default". */
  routeKey?: string;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer | string;
  /** Verified JWT claims, as the JWT authorizer passes them. */
  claims?: Record<string, string | number | boolean | string[]>;
  sourceIp?: string;
  domainName?: string;
}

const TEXT_TYPES = /^(application\/(json|x-www-form-urlencoded|xml|.*\+json)|text\/)/i;

export function buildApiGatewayEvent(input: EventInput): HttpEvent {
  const url = new URL(input.url, 'http://localhost');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(key === 'cookie' ? '; ' : ',') : value;
    if (key === 'cookie') cookies.push(...joined.split(/;\s*/).filter(Boolean));
    else headers[key] = joined;
  }
  const bodyBuffer = input.body === undefined ? undefined : Buffer.isBuffer(input.body) ? input.body : Buffer.from(input.body);
  // API Gateway base64-encodes bodies it does not consider text; handlers must cope with both.
  const isBase64Encoded = bodyBuffer !== undefined && bodyBuffer.length > 0 && !TEXT_TYPES.test(headers['content-type'] ?? '');
  const now = new Date();
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of url.searchParams) queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;

  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: input.routeKey ?? '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(url.search && { queryStringParameters }),
    ...(input.pathParameters && { pathParameters: input.pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: input.domainName ?? headers.host ?? 'localhost',
      domainPrefix: (input.domainName ?? headers.host ?? 'localhost').split('.')[0]!,
      http: {
        method: input.method.toUpperCase(),
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: input.routeKey ?? '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(bodyBuffer !== undefined && { body: isBase64Encoded ? bodyBuffer.toString('base64') : bodyBuffer.toString('utf8') }),
    isBase64Encoded,
  };
  if (input.claims) {
    (event as HttpEvent).requestContext.authorizer = { jwt: { claims: input.claims, scopes: [] } };
  }
  return event as HttpEvent;
}

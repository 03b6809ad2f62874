/**
 * The Lambda side of the local API Gateway: a realistic invocation Context, and the translation of a
 * handler's result into an HTTP response following HTTP API payload format 2.0 rules.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  functionName: string;
  timeoutMs: number;
  memoryLimitInMB?: number;
}

export function lambdaContext(options: LambdaContextOptions): Context {
  const deadline = Date.now() + options.timeoutMs;
  const requestId = randomUUID();
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  const deprecated = () => {
    throw new Error('context.done/succeed/fail are not supported by Node.js Lambda runtimes; return a value instead');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 256),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `${today}/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: deprecated,
    fail: deprecated,
    succeed: deprecated,
  };
}

export interface HttpReply {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * API Gateway's reading of a payload 2.0 result: an object with `statusCode` is a structured
 * response; anything else is a 200 JSON body (a string verbatim, other values serialized).
 */
export function replyFromLambdaResult(result: unknown): HttpReply {
  if (isStructured(result)) {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
    if (Array.isArray(result.cookies) && result.cookies.length > 0) headers['set-cookie'] = result.cookies.map(String);
    const body = typeof result.body === 'string' ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
    return { statusCode: result.statusCode, headers, body };
  }
  const text = result === undefined ? '' : typeof result === 'string' ? result : JSON.stringify(result);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text) };
}

interface StructuredResult {
  statusCode: number;
  headers?: Record<string, unknown>;
  cookies?: unknown[];
  body?: unknown;
  isBase64Encoded?: boolean;
}

function isStructured(result: unknown): result is StructuredResult {
  return typeof result === 'object' && result !== null && typeof (result as { statusCode?: unknown }).statusCode === 'number';
}

/** API Gateway's own answers when the integration fails: fixed bodies, no detail leaked. */
export const gatewayReplies = {
  unauthorized: (reason: string): HttpReply => ({
    statusCode: 401,
    headers: {
      'content-type': 'application/json',
      'www-authenticate': `Bearer scope="" error="invalid_token" error_description="${reason.replace(/"/g, "'")}"`,
    },
    body: Buffer.from('{"message":"Unauthorized"}'),
  }),
  internalError: (): HttpReply => json(500, { message: 'Internal Server Error' }),
  timeout: (): HttpReply => json(503, { message: 'Service Unavailable' }),
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpReply {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

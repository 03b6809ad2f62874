/** Reading the request as API Gateway (HTTP API, payload 2.0) hands it over. */
import type { HttpEvent } from './middleware';

/** API Gateway passes text bodies as is and others base64-encoded; a signature covers the bytes. */
export function rawBody(event: HttpEvent): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

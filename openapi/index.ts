/**
 * The OpenAPI 3.1 document of the mobile API (portal sessions, entitlements). The JSON file is the
 * source: iOS projects can copy it as-is into swift-openapi-generator; the local stack serves it at
 * /openapi.json; test/integration/portal-openapi.test.ts checks the real handlers against it.
 */
import document from './linkout.v1.json';

export const openApiDocument: Readonly<Record<string, unknown>> = document;
export const OPENAPI_PATH = '/openapi.json';

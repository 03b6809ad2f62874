/**
 * Checks real answers against the OpenAPI document: the status must be documented for the
 * operation, required headers present and valid, and the body must match the documented schema.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../openapi';

export interface RealAnswer {
  status: number;
  headers: Headers | Record<string, string>;
  body: unknown;
}

export const doc = openApiDocument as any;
const DOC_ID = 'https://linkout.local/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, DOC_ID, undefined, false);

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const compiled = new Map<string, ValidateFunction>();
export function validatorAt(...parts: string[]): ValidateFunction {
  const ref = `${DOC_ID}#/${pointer(...parts)}`;
  let validate = compiled.get(ref);
  if (!validate) compiled.set(ref, (validate = ajv.compile({ $ref: ref })));
  return validate;
}

export function resolve(node: any): any {
  if (!node?.$ref) return node;
  const target = (node.$ref as string).slice(2).split('/').reduce((at: any, key) => at[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  return resolve(target);
}

/** Everything wrong with one real answer, measured against the document. */
export function contractProblems(method: string, path: string, reply: RealAnswer): string[] {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  if (!operation) return [`${method} ${path} is not documented`];
  const documented = operation.responses[String(reply.status)];
  if (!documented) return [`${method} ${path} answered ${reply.status}, which is not documented`];
  const response = resolve(documented);
  const base = documented.$ref ? documented.$ref.slice(2).split('/') : ['paths', path, method.toLowerCase(), 'responses', String(reply.status)];
  const problems: string[] = [];
  for (const [name, header] of Object.entries<any>(response.headers ?? {})) {
    const resolved = resolve(header);
    const value = headerValue(reply.headers, name);
    if (value === null) {
      if (resolved.required) problems.push(`header ${name} is missing`);
      continue;
    }
    const headerRef = header.$ref ? header.$ref.slice(2).split('/') : [...base, 'headers', name];
    const validate = validatorAt(...headerRef, 'schema');
    if (!validate(value)) problems.push(`header ${name}: ${ajv.errorsText(validate.errors)}`);
  }
  const validate = validatorAt(...base, 'content', 'application/json', 'schema');
  if (!validate(reply.body)) problems.push(`body ${JSON.stringify(reply.body)}: ${ajv.errorsText(validate.errors)}`);
  return problems;
}

function headerValue(headers: RealAnswer['headers'], name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? null : headers[key]!;
}

export { ajv };

/**
 * Request parameters as Stripe reads them: bracket-notation form fields (parsed by `qs`) checked
 * against a declared shape, so an unknown parameter is a 400 `parameter_unknown` naming it, as in
 * Stripe, and values are coerced from strings with Stripe's error messages.
 */
import { invalidParameter, missingParameter, unknownParameter } from './errors';

/**
 * The accepted shape of a parameter:
 * - 'value': a scalar (string, number, boolean, timestamp)
 * - 'map': free-form string keys (metadata)
 * - [spec]: an array whose elements match spec
 * - { key: spec }: an object with exactly these optional keys
 */
export type ParamSpec = 'value' | 'map' | readonly [ParamSpec] | { readonly [key: string]: ParamSpec };

// Form-encoded parameters as qs decodes them: nested maps and arrays of strings, read field by field.
export type Params = Record<string, any>;

/** A postal address, as customers, billing details and shipping take it. */
export const ADDRESS: ParamSpec = { city: 'value', country: 'value', line1: 'value', line2: 'value', postal_code: 'value', state: 'value' };

/** Parameters every endpoint accepts. */
const COMMON: Record<string, ParamSpec> = { expand: ['value'] };

/** Throws Stripe's 400 for the first parameter the spec does not declare. */
export function checkParams(params: Params, spec: Record<string, ParamSpec>): void {
  checkObject(params, { ...COMMON, ...spec }, '');
}

function checkObject(value: Params, spec: { readonly [key: string]: ParamSpec }, prefix: string): void {
  for (const [key, child] of Object.entries(value)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    const childSpec = spec[key];
    if (childSpec === undefined) throw unknownParameter(name);
    checkValue(child, childSpec, name);
  }
}

function checkValue(value: unknown, spec: ParamSpec, name: string): void {
  if (spec === 'value') {
    if (value !== null && typeof value === 'object') throw invalidParameter(name, `Invalid ${name}: must be a string`);
    return;
  }
  // An empty string clears an object, array or map, as in Stripe (`metadata=''`, `pause_collection=''`).
  if (value === '') return;
  if (value === null || typeof value !== 'object') {
    throw invalidParameter(name, `Invalid ${Array.isArray(spec) ? 'array' : 'object'}`);
  }
  if (spec === 'map') {
    for (const [key, entry] of Object.entries(value)) {
      if (entry !== null && typeof entry === 'object') throw invalidParameter(`${name}[${key}]`, `Invalid ${name}[${key}]: must be a string`);
    }
    return;
  }
  if (isArraySpec(spec)) {
    for (const [index, element] of Object.entries(value)) {
      if (!/^\d+$/.test(index)) throw invalidParameter(name, `Invalid array`);
      checkValue(element, spec[0], `${name}[${index}]`);
    }
    return;
  }
  checkObject(value as Params, spec as { readonly [key: string]: ParamSpec }, name);
}

function isArraySpec(spec: ParamSpec): spec is readonly [ParamSpec] {
  return Array.isArray(spec);
}

// ---- coercion helpers: values arrive as strings from form bodies and query strings ----

export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidParameter(name, `Invalid ${name}: must be a string`);
  return value;
}

export function optionalInteger(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value);
  if (!/^-?\d+$/.test(text)) throw invalidParameter(name, `Invalid integer: ${text}`, 'parameter_invalid_integer');
  return Number(text);
}

/** A decimal number (`unit_amount_decimal`, package dimensions); Stripe refuses one that does not parse without an error code. */
export function optionalDecimal(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  if (!/^-?(\d+\.?\d*|\.\d+)$/.test(text)) throw invalidParameter(name, `Invalid decimal: ${String(value)}`);
  return Number(text);
}

/** Stripe's refusal of a string over `max` characters (sent without an error code). */
export function requireMaxLength(value: string, name: string, max: number): void {
  if (value.length > max) throw invalidParameter(name, `Invalid string: ${value.slice(0, 20)}...; must be at most ${max} characters`);
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalidParameter(name, `Invalid boolean: ${String(value)}`);
}

export function optionalEnum<T extends string>(value: unknown, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (!allowed.includes(value as T)) {
    throw invalidParameter(name, `Invalid ${name}: must be one of ${oneOf(allowed)}`);
  }
  return value as T;
}

/** Stripe's wording of a choice: `a or b`, `a, b, or c`. */
function oneOf(values: readonly string[]): string {
  if (values.length <= 2) return values.join(' or ');
  return `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}`;
}

/** qs turns `a[0]=x` into an array, but large or sparse indexes into an object: accept both. */
export function arrayOf<T = Params>(value: unknown): T[] {
  if (value === undefined || value === '') return [];
  if (Array.isArray(value)) return value as T[];
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, element]) => element as T);
  }
  return [value as T];
}

/** Stripe's metadata update: '' clears everything, a key set to '' is removed, others are merged. */
export function mergeMetadata(current: Record<string, string>, update: unknown): Record<string, string> {
  if (update === undefined) return current;
  if (update === '') return {};
  const next = { ...current };
  for (const [key, value] of Object.entries(update as Record<string, string>)) {
    if (value === '') delete next[key];
    else next[key] = String(value);
  }
  return next;
}

export function expandPaths(params: Params): string[] {
  return arrayOf<string>(params.expand).map(String);
}

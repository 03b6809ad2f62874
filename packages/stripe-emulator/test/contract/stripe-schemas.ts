/**
 * JSON Schemas generated from stripe-node's own TypeScript declarations, at test time, so that the
 * contract test checks the emulator against the pinned API version and never against types copied by
 * hand. A declaration is any type expression over `Stripe` (e.g. `Stripe.Subscription`,
 * `Stripe.ApiList<…>`); each becomes a definition of one shared draft-07 schema, with
 * `additionalProperties: false` on every object type, so a field Stripe does not declare fails.
 *
 * Generating the schemas (stripe-node's types are large) and compiling them into ajv validators take
 * about half a minute, so both are kept on disk, keyed by a hash of everything they depend on: the
 * declarations asked for, this file, and the versions of stripe, typescript, ts-json-schema-generator
 * and ajv. A later run loads them in about a second.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { createGenerator, type Schema } from 'ts-json-schema-generator';
import ts from 'typescript';

export interface Declaration {
  /** A JSON-Schema definition name (letters, digits, underscores). */
  name: string;
  /** A TypeScript type expression over the `Stripe` namespace of stripe-node. */
  type: string;
}

interface StripeSchemas {
  /** One draft-07 schema whose `definitions` hold each requested name (and everything they use). */
  schema: Schema;
  /** For every event type stripe-node declares: what its `data.object` is declared as. */
  eventObjects: Record<string, EventObject>;
}

interface EventObject {
  /** The declared type, as stripe-node prints it (`Subscription`, `CustomerSource`). */
  declared: string;
  /** The requested declarations that are that type or, for a union (`CustomerSource`), one of its members. */
  requested: string[];
}

/** On the wire a Stripe decimal is a string; stripe-node turns it into its Decimal class. */
const DECIMAL_STRING = { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' } as const;

/** Validators (ajv, all errors) by declaration name. */
type Validators = Record<string, ValidateFunction>;

export interface StripeContract extends StripeSchemas {
  validators: Validators;
}

/** The schemas and their compiled validators, from the disk cache when the inputs have not changed. */
export function stripeContract(requested: readonly Declaration[]): StripeContract {
  // In name order, so that reordering the caller's table keeps the cache.
  const declarations = [...requested].sort((a, b) => a.name.localeCompare(b.name));
  const stripeTypes = require.resolve('stripe').replace(/\.js$/, '.d.ts');
  const entry = entrySource(stripeTypes, declarations);
  const cacheBase = join(tmpdir(), 'stripe-emulator-contract', cacheKey(entry));
  const [schemaFile, validatorsFile] = [`${cacheBase}.json`, `${cacheBase}.validators.js`];
  if (existsSync(schemaFile) && existsSync(validatorsFile)) {
    const schemas = JSON.parse(readFileSync(schemaFile, 'utf8')) as StripeSchemas;
    return { ...schemas, validators: loadValidators(readFileSync(validatorsFile, 'utf8')) };
  }
  const schemas = generate(stripeTypes, entry, declarations);
  const validatorsSource = compileValidators(schemas.schema, declarations);
  replaceCache(dirname(cacheBase), { [schemaFile]: JSON.stringify(schemas), [validatorsFile]: validatorsSource });
  return { ...schemas, validators: loadValidators(validatorsSource) };
}

/** Writes the new cache entry (each file whole, by rename) and drops older ones (about 13 MB each). */
function replaceCache(directory: string, files: Record<string, string>): void {
  mkdirSync(directory, { recursive: true });
  for (const old of readdirSync(directory)) {
    if (!(join(directory, old) in files)) rmSync(join(directory, old), { force: true });
  }
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(`${file}.${process.pid}`, content);
    renameSync(`${file}.${process.pid}`, file);
  }
}

/** One module exporting a validator per declaration (ajv's standalone code: compiled once, loaded fast). */
function compileValidators(schema: Schema, declarations: readonly Declaration[]): string {
  // Refs compiled once each rather than inlined: the declarations reach most of the Stripe API.
  const ajv = new Ajv({ allErrors: true, strict: false, inlineRefs: false, code: { source: true } });
  ajv.addSchema(schema as object, 'stripe');
  return standaloneCode(ajv, Object.fromEntries(declarations.map(({ name }) => [name, `stripe#/definitions/${name}`])));
}

/** Evaluates the standalone module with this file's `require`, so its ajv runtime helpers resolve here. */
function loadValidators(source: string): Validators {
  const module = { exports: {} as Validators };
  new Function('module', 'exports', 'require', source)(module, module.exports, require);
  return module.exports;
}

/** A module that names each declaration, so the generator can start from it. */
function entrySource(stripeTypes: string, declarations: readonly Declaration[]): string {
  const lines = declarations.map(({ name, type }) => `export type ${name} = ${type};`);
  return [`import type Stripe from ${JSON.stringify(stripeTypes.replace(/\.d\.ts$/, '.js'))};`, 'export type AnyEvent = Stripe.Event;', ...lines, ''].join(
    '\n',
  );
}

function cacheKey(entry: string): string {
  const versions = ['stripe', 'typescript', 'ts-json-schema-generator', 'ajv'].map((name) => packageVersion(name));
  return createHash('sha256')
    .update([entry, readFileSync(__filename, 'utf8'), ...versions].join('\0'))
    .digest('hex')
    .slice(0, 24);
}

function packageVersion(name: string): string {
  // Walk up from the package's entry to its package.json (`exports` may hide it from require.resolve).
  let directory = dirname(require.resolve(name));
  while (!existsSync(join(directory, 'package.json'))) directory = dirname(directory);
  return `${name}@${(JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { version: string }).version}`;
}

function generate(stripeTypes: string, entry: string, declarations: readonly Declaration[]): StripeSchemas {
  const workDirectory = mkdtempSync(join(tmpdir(), 'stripe-contract-'));
  try {
    const entryFile = join(workDirectory, 'contract-entry.ts');
    writeFileSync(entryFile, entry);
    const program = ts.createProgram([entryFile], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Preserve,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      skipLibCheck: true,
      esModuleInterop: true,
      noEmit: true,
      types: [],
    });
    qualifyNamesByFile(program.getTypeChecker(), dirname(stripeTypes));
    const generator = createGenerator({
      tsProgram: program,
      type: '*',
      expose: 'export',
      topRef: true,
      jsDoc: 'none',
      skipTypeCheck: true,
      additionalProperties: false,
    });
    const schema = generator.createSchema(declarations.map(({ name }) => name));
    replaceDecimal(schema);
    closeEnums(schema);
    return { schema, eventObjects: eventObjects(program, entryFile, declarations) };
  } finally {
    rmSync(workDirectory, { recursive: true, force: true });
  }
}

/**
 * The generator names a definition by its type's name without its module, and stripe-node declares
 * several types of one name in different files (`Card` in Cards.d.ts and in Issuing/Cards.d.ts):
 * prefixing the file path (`resources.Issuing.Cards.Card`) keeps them apart.
 */
function qualifyNamesByFile(checker: ts.TypeChecker, stripeRoot: string): void {
  const fullyQualifiedName = checker.getFullyQualifiedName.bind(checker);
  checker.getFullyQualifiedName = (symbol) =>
    fullyQualifiedName(symbol).replace(/^"([^"]*)"\./, (whole, file: string) =>
      file.startsWith(`${stripeRoot}/`) ? `${file.slice(stripeRoot.length + 1).replace(/\//g, '.')}.` : whole,
    );
}

function replaceDecimal(schema: Schema): void {
  const definitions = schema.definitions ?? {};
  const name = Object.keys(definitions).find((key) => key === 'Decimal.Decimal');
  // Every Price declares a Decimal field, so a schema without it means stripe-node renamed the type.
  if (!name) throw new Error('stripe-node no longer declares Decimal in Decimal.d.ts: update replaceDecimal');
  definitions[name] = { ...DECIMAL_STRING };
}

/**
 * stripe-node widens each enum with `OtherString` so that integrations accept values Stripe adds later;
 * the emulator must send only declared values, so the widening is dropped (`status: 'active' | … |
 * OtherString` becomes an enum of the listed values).
 */
function closeEnums(schema: Schema): void {
  const otherString = '#/definitions/shared.OtherString';
  if (!schema.definitions?.['shared.OtherString']) throw new Error('stripe-node no longer declares OtherString in shared.d.ts: update closeEnums');
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const element of node) visit(element);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    Object.values(record).forEach(visit);
    const branches = record.anyOf as Array<Record<string, unknown>> | undefined;
    if (!Array.isArray(branches) || !branches.some((branch) => branch.$ref === otherString)) return;
    const declared = branches.filter((branch) => branch.$ref !== otherString);
    delete record.anyOf;
    if (declared.every((branch) => branch.type === 'string' && typeof branch.const === 'string'))
      Object.assign(record, { type: 'string', enum: declared.map((branch) => branch.const) });
    else Object.assign(record, declared.length === 1 ? declared[0] : { anyOf: declared });
  };
  visit(schema);
}

/** Reads the `Stripe.Event` union: for each event type, the type of its `data.object`. */
function eventObjects(program: ts.Program, entryFile: string, declarations: readonly Declaration[]): Record<string, EventObject> {
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entryFile)!)!);
  const declaredType = (name: string) => checker.getDeclaredTypeOfSymbol(exports.find((symbol) => symbol.name === name)!);
  const requested = new Map(declarations.map(({ name }) => [declaredType(name), name]));
  const events = declaredType('AnyEvent');
  const variants = events.isUnion() ? events.types : [events];
  const objects: Record<string, EventObject> = {};
  for (const variant of variants) {
    const type = checker.getTypeOfSymbol(checker.getPropertyOfType(variant, 'type')!);
    const data = checker.getTypeOfSymbol(checker.getPropertyOfType(variant, 'data')!);
    const object = checker.getTypeOfSymbol(checker.getPropertyOfType(data, 'object')!);
    if (!type.isStringLiteral()) throw new Error(`Stripe.Event variant ${checker.typeToString(variant)} has no literal type`);
    const members = object.isUnion() ? [object, ...object.types] : [object];
    objects[type.value] = {
      declared: checker.typeToString(object),
      requested: members.flatMap((member) => requested.get(member) ?? []),
    };
  }
  return objects;
}

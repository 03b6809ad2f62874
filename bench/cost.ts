/**
 * Cost per million requests on AWS, computed from what the benchmark measured (DynamoDB units per
 * request, p50 duration) and the list prices in ./prices.ts. Nothing here is guessed except the
 * assumptions it names (`CostAssumptions`), which are printed with the table.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { round } from './measure';
import { PRICES } from './prices';

export interface CostAssumptions {
  /** The Lambda memory size, read from lib/infra/linkout-function.ts. */
  memoryMb: number;
  /** Warm containers per function for the whole month: each refreshes the Stripe secret every cache period. */
  warmContainers: number;
  /** Monthly volume the fixed Secrets Manager refreshes are spread over. */
  requestsPerMonth: number;
  /** functions/adapters/secrets-manager.ts caches the secret this long. */
  secretCacheSeconds: number;
}

export interface Workload {
  name: string;
  /** The measured p50 duration of the request (local stack), used as the billed Lambda duration. */
  p50Ms: number;
  writeUnits: number;
  readUnits: number;
  /** Whether the function reads the Stripe secret (every HTTP handler today, through the shared middleware). */
  readsSecret: boolean;
}

export interface CostRow {
  workload: string;
  billedMs: number;
  writeUnits: number;
  readUnits: number;
  httpApi: number;
  lambdaRequests: number;
  lambdaCompute: number;
  dynamodb: number;
  secretsManager: number;
  total: number;
}

const LINKOUT_FUNCTION = path.join(__dirname, '../lib/infra/linkout-function.ts');
const HOURS_PER_MONTH = 730;

/** The default memory size of every API Lambda, as the CDK construct sets it. */
export function configuredMemoryMb(source = readFileSync(LINKOUT_FUNCTION, 'utf8')): number {
  const match = /memorySize:\s*props\.memorySize\s*\?\?\s*(\d+)/.exec(source);
  if (!match) throw new Error(`cannot find the default memorySize in ${LINKOUT_FUNCTION}`);
  return Number(match[1]);
}

export function costPerMillion(workload: Workload, assumptions: CostAssumptions): CostRow {
  const million = 1_000_000;
  // Lambda bills duration in 1 ms steps.
  const billedMs = Math.max(1, Math.ceil(workload.p50Ms));
  const gbSeconds = (assumptions.memoryMb / 1024) * (billedMs / 1000) * million;
  const secretCalls = workload.readsSecret ? assumptions.warmContainers * (3600 / assumptions.secretCacheSeconds) * HOURS_PER_MONTH : 0;
  const row = {
    httpApi: PRICES.httpApi.perMillionRequests,
    lambdaRequests: PRICES.lambda.perMillionRequests,
    lambdaCompute: gbSeconds * PRICES.lambda.perGbSecondArm64,
    dynamodb: workload.writeUnits * PRICES.dynamodb.perMillionWriteUnits + workload.readUnits * PRICES.dynamodb.perMillionReadUnits,
    secretsManager: (secretCalls / 10_000) * PRICES.secretsManager.perTenThousandCalls * (million / assumptions.requestsPerMonth),
  };
  const total = row.httpApi + row.lambdaRequests + row.lambdaCompute + row.dynamodb + row.secretsManager;
  return {
    workload: workload.name,
    billedMs,
    writeUnits: workload.writeUnits,
    readUnits: workload.readUnits,
    httpApi: round(row.httpApi, 3),
    lambdaRequests: round(row.lambdaRequests, 3),
    lambdaCompute: round(row.lambdaCompute, 3),
    dynamodb: round(row.dynamodb, 3),
    secretsManager: round(row.secretsManager, 3),
    total: round(total, 2),
  };
}

/** The cost rows as the README's Markdown table. */
export function costMarkdown(rows: CostRow[], assumptions: CostAssumptions): string {
  const usd = (value: number) => `$${value.toFixed(2)}`;
  const lines = [
    `| Per million… | HTTP API | Lambda arm64 ${assumptions.memoryMb} MB (requests + GB-s) | DynamoDB (write + read units) | Secrets Manager | Total |`,
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.workload} (p50 ${r.billedMs} ms) | ${usd(r.httpApi)} | ${usd(r.lambdaRequests)} + ${usd(r.lambdaCompute)} | ${usd(r.dynamodb)} (${r.writeUnits} W + ${r.readUnits} R) | ${usd(r.secretsManager)} | **${usd(r.total)}** |`,
    ),
  ];
  return lines.join('\n');
}

/**
 * The AWS list prices the benchmark's cost table uses: the one place they are written down.
 * us-east-1, on demand, first pricing tier, free tiers ignored. Check the linked pages before
 * quoting a figure; change them here and rerun `npm run bench` to regenerate the README's table.
 */
export const PRICES = {
  region: 'us-east-1',
  /** When the figures were copied from the pages below. */
  takenOn: '2026-11-21',
  lambda: {
    /** arm64 (Graviton), first 7.5 billion GB-s a month. */
    perGbSecondArm64: 0.0000133334,
    perMillionRequests: 0.2,
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  httpApi: {
    /** First 300 million requests a month. */
    perMillionRequests: 1.0,
    source: 'https://aws.amazon.com/api-gateway/pricing/',
  },
  dynamodb: {
    /** On-demand throughput, Standard table class. */
    perMillionWriteUnits: 0.625,
    perMillionReadUnits: 0.125,
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  secretsManager: {
    perTenThousandCalls: 0.05,
    perSecretMonth: 0.4,
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
  },
} as const;

/** The price table as printed rows (name, price, unit, source). */
export function priceRows(): Array<{ item: string; usd: number; per: string; source: string }> {
  return [
    { item: 'Lambda arm64 duration', usd: PRICES.lambda.perGbSecondArm64, per: 'GB-second', source: PRICES.lambda.source },
    { item: 'Lambda requests', usd: PRICES.lambda.perMillionRequests, per: 'million requests', source: PRICES.lambda.source },
    { item: 'HTTP API requests', usd: PRICES.httpApi.perMillionRequests, per: 'million requests', source: PRICES.httpApi.source },
    { item: 'DynamoDB on-demand writes', usd: PRICES.dynamodb.perMillionWriteUnits, per: 'million write units', source: PRICES.dynamodb.source },
    { item: 'DynamoDB on-demand reads', usd: PRICES.dynamodb.perMillionReadUnits, per: 'million read units', source: PRICES.dynamodb.source },
    { item: 'Secrets Manager calls', usd: PRICES.secretsManager.perTenThousandCalls, per: '10,000 calls', source: PRICES.secretsManager.source },
    { item: 'Secrets Manager secret', usd: PRICES.secretsManager.perSecretMonth, per: 'secret-month', source: PRICES.secretsManager.source },
  ];
}

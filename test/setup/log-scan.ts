/**
 * The secrets that must never reach a log line, and the scan of a run's captured logs
 * (test/setup/capture-logs.ts writes them; test/setup/scan-logs.ts scans them after the run).
 * A finding names the test file and the kind, never the secret itself: the scan's own output
 * must not become the leak.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type SecretKind = 'stripe_secret_key' | 'webhook_secret' | 'bearer_token' | 'portal_session_url' | 'checkout_session_url' | 'client_secret';

/**
 * One pattern per kind, loose enough for test fixtures (e.g. `sk_test_linkout_emulator`) and for
 * JSON-escaped forms, strict enough not to flag ids (`sub_…`, `cus_…`, `bps_…`) or field names
 * (`client_secret`, `webhookSecrets`).
 */
const SECRET_PATTERNS: ReadonlyArray<readonly [SecretKind, RegExp]> = [
  // Secret and restricted API keys, test and live.
  ['stripe_secret_key', /\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9_]{4,}/],
  ['webhook_secret', /\bwhsec_[A-Za-z0-9_]{4,}/],
  // A JWT (header and payload are base64url JSON, so both start with eyJ), or any bearer credential.
  ['bearer_token', /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}|\bBearer\s+[A-Za-z0-9._~+/-]{16,}/i],
  // Whoever holds a portal or Checkout URL acts as the customer: Stripe's billing.stripe.com/p/session/…,
  // checkout.stripe.com/c/pay/…, and the emulator's same paths.
  ['portal_session_url', /\/p\/session\/[A-Za-z0-9_-]{8,}/],
  ['checkout_session_url', /\/c\/pay\/[A-Za-z0-9_-]{8,}/],
  // SetupIntent, PaymentIntent and Checkout Session client secrets: seti_…_secret_…, pi_…_secret_…, cs_test_…_secret_….
  ['client_secret', /\b(?:seti|pi|cs)_[A-Za-z0-9_]*?_secret_[A-Za-z0-9]{4,}/],
];

/** The kinds of secret in one line (each at most once). */
export function secretKindsIn(line: string): SecretKind[] {
  return SECRET_PATTERNS.filter(([, pattern]) => pattern.test(line)).map(([kind]) => kind);
}

/** The separator between the test file and the captured line in a capture file. */
export const CAPTURE_FIELD_SEPARATOR = '\t';

interface Finding {
  testFile: string;
  kind: SecretKind;
  lines: number;
}

export interface ScanReport {
  lines: number;
  testFiles: number;
  findings: Finding[];
}

/** Scans every capture file in a run directory (one per jest worker; lines are `<test file>\t<log line>`). */
export function scanCaptureDirectory(directory: string): ScanReport {
  const testFiles = new Set<string>();
  const counts = new Map<string, Finding>();
  let lines = 0;
  for (const name of readdirSync(directory).filter((file) => file.endsWith('.log'))) {
    for (const entry of readFileSync(path.join(directory, name), 'utf8').split('\n')) {
      if (!entry) continue;
      const separator = entry.indexOf(CAPTURE_FIELD_SEPARATOR);
      const testFile = separator < 0 ? '<unknown test file>' : entry.slice(0, separator);
      const line = separator < 0 ? entry : entry.slice(separator + 1);
      lines += 1;
      testFiles.add(testFile);
      for (const kind of secretKindsIn(line)) {
        const key = `${testFile}\u0000${kind}`;
        const finding = counts.get(key) ?? { testFile, kind, lines: 0 };
        finding.lines += 1;
        counts.set(key, finding);
      }
    }
  }
  return { lines, testFiles: testFiles.size, findings: [...counts.values()] };
}

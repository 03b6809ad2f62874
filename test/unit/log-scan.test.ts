/**
 * The log scan's own rules (test/setup/log-scan.ts): each kind of secret is found in a realistic
 * line, ids and field names are not flagged, a finding names the test file and the kind but never
 * carries the secret, and the capture really receives what the Powertools logger prints.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { liveModeKey } from '../helpers/live-keys';
import { scanCaptureDirectory, secretKindsIn } from '../setup/log-scan';
import { CAPTURE_DIR_ENV } from '../setup/log-sink';

describe('secretKindsIn finds each kind of secret', () => {
  it.each([
    ['a test secret key', '{"message":"client","key":"sk_test_51HxYzAbCdEf0123456789"}', 'stripe_secret_key'],
    ['a live secret key', `STRIPE_SECRET_KEY=${liveModeKey('51HxYzAbCdEf0123456789')}`, 'stripe_secret_key'],
    ['a restricted key', `using ${liveModeKey('51HxYzAbCdEf0123456789', 'rk')}`, 'stripe_secret_key'],
    ['the test suite’s emulator key', 'secretKey: sk_test_linkout_emulator', 'stripe_secret_key'],
    ['a webhook signing secret', '{"webhookSecrets":["whsec_linkout_local_0123456789abcdef"]}', 'webhook_secret'],
    ['a JWT', '{"authorization":"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJl"}', 'bearer_token'],
    ['an opaque bearer token', 'authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543', 'bearer_token'],
    ['a Stripe portal URL', '{"url":"https://billing.stripe.com/p/session/test_YWNjdF8xTTJKVGtMa2RJd0h1N2l4"}', 'portal_session_url'],
    ['an emulator portal URL', 'redirect to http://127.0.0.1:41234/p/session/Q2hlY2tvdXRTZXNzaW9uMTIz', 'portal_session_url'],
    ['a Stripe Checkout URL', 'https://checkout.stripe.com/c/pay/cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41#fidkdWxOYHwnPyd1blpxYHZxWjA0', 'checkout_session_url'],
    ['a SetupIntent client secret', '{"client_secret":"seti_1Mm2cBLkdIwHu7ix_secret_NXDPgJwWZrRbM1Gv1lDAk0o"}', 'client_secret'],
    ['a PaymentIntent client secret', 'pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH', 'client_secret'],
    ['a Checkout client secret', 'cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWk_secret_fidwbEhqYWAnPydgaGdgYWFgYScpJ2lkfGpw', 'client_secret'],
  ])('%s', (_name, line, kind) => {
    expect(secretKindsIn(line)).toContain(kind);
  });
});

describe('secretKindsIn leaves ids and field names alone', () => {
  it.each([
    ['a subscription id', '{"subscriptionId":"sub_1MowQVLkdIwHu7ixeRlqHVzs"}'],
    ['a customer id', '{"customerId":"cus_NffrFeUfNV2Hib"}'],
    ['an event id and type', '{"stripeEventId":"evt_1NG8Du2eZvKYlo2CUI79vXWy","stripeEventType":"customer.subscription.updated"}'],
    ['a portal session id', '{"portalSessionId":"bps_1MrSjzLkdIwHu7ixex0IvU9b"}'],
    ['a Checkout Session id in a path', 'POST /v1/purchases/cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41/refresh -> 200 (12 ms)'],
    ['a SetupIntent id', '{"purchaseId":"seti_1Mm2cBLkdIwHu7ix"}'],
    ['field names', '{"client_secret":null,"webhookSecrets":2,"secretKey":"[redacted]"}'],
    ['the verifier’s placeholder key', "new Stripe('sk_verify_only')"],
    ["the authorizer's refusal", '401 for GET /v1/entitlements: no Authorization header; www-authenticate: Bearer scope="" error="invalid_token"'],
    ['a Stripe-Signature header name', 'the Stripe-Signature header carries more than one timestamp (t=)'],
  ])('%s', (_name, line) => {
    expect(secretKindsIn(line)).toEqual([]);
  });
});

describe('scanCaptureDirectory', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'linkout-log-scan-test-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('counts lines and test files, and names the file and kind of each secret without the secret', () => {
    const secret = 'whsec_do_not_print_me_0123456789';
    writeFileSync(
      path.join(directory, 'worker-1.log'),
      [
        'test/a.test.ts\t{"level":"INFO","message":"stripe event"}',
        `test/a.test.ts\t{"level":"DEBUG","secrets":["${secret}"]}`,
        `test/a.test.ts\t{"level":"DEBUG","again":"${secret}"}`,
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(directory, 'worker-2.log'), 'test/b.test.ts\t{"level":"INFO","message":"portal session"}\n');
    writeFileSync(path.join(directory, 'notes.txt'), `not a capture file: ${secret}\n`);

    const report = scanCaptureDirectory(directory);

    expect(report).toEqual({ lines: 4, testFiles: 2, findings: [{ testFile: 'test/a.test.ts', kind: 'webhook_secret', lines: 2 }] });
    expect(JSON.stringify(report)).not.toContain(secret);
  });

  it('finds nothing in clean captures', () => {
    writeFileSync(path.join(directory, 'worker-1.log'), 'test/a.test.ts\t{"level":"INFO","subscriptionId":"sub_123"}\n');
    expect(scanCaptureDirectory(directory).findings).toEqual([]);
  });
});

describe('the capture (test/setup/capture-logs.ts)', () => {
  it('receives what the Powertools logger prints at DEBUG, tagged with this test file', () => {
    const directory = process.env[CAPTURE_DIR_ENV];
    expect(directory).toBeTruthy();
    expect(process.env.LOG_LEVEL).toBe('DEBUG');
    const marker = `capture-probe-${process.pid}-${Date.now()}`;
    jest.isolateModules(() => {
      const { logger } = require('#adapters/logger') as typeof import('#adapters/logger');
      logger.debug(marker);
    });
    const captured = readFileSync(path.join(directory!, `worker-${process.env.JEST_WORKER_ID ?? '1'}.log`), 'utf8');
    const line = captured.split('\n').find((entry) => entry.includes(marker));
    expect(line).toMatch(/^test\/unit\/log-scan\.test\.ts\t\{.*"level":"DEBUG"/);
  });
});

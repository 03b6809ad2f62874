/**
 * One more webhook "container" for the benchmark, run as a child process (./bench-stack.ts
 * `startWebhookWorkers` starts them): the local gateway with only the webhook route, loading the real
 * handler module, with the environment the local stack gave its own handlers (inherited from the
 * parent, which holds it while the stack runs: the same table through the counting proxy, the same
 * secrets, the same configuration).
 *
 * Why: on AWS every event in flight has a Lambda invocation, and a CPU, of its own; in the local
 * stack all handlers share one thread. With several workers the load generator spreads its
 * connections over them, so that the webhook's throughput can grow with the cores of the machine as
 * it would with Lambda's concurrency, instead of stopping at one thread.
 *
 * Protocol: prints one JSON line {url} when listening; answers GET WORKER_CPU_PATH with its CPU time;
 * exits when its stdin closes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '#adapters/config';
import { apiRoutes } from '#handlers/routes';
import { devJwtSettings, loadOrCreateSigningKey } from '#local/dev-jwt';
import { gatewayListener, gatewayState } from '#local/gateway';
import { handlerModules } from '#local/handler-loader';
import { processCpuMs, stopWhenStdinCloses, WORKER_CPU_PATH } from './measure';

/** API Gateway's integration limit, as the local stack uses it. */
const LAMBDA_TIMEOUT_MS = 30_000;

async function main() {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-webhook-worker-'));
  const config = loadConfig();
  const gateway = gatewayState({
    staticRoutes: new Map(),
    routes: apiRoutes.filter((route) => route.handler === 'webhook'),
    // The webhook route has no authorizer; the gateway needs a key all the same.
    signingKey: await loadOrCreateSigningKey(stateDir),
    jwtSettings: devJwtSettings(config),
    loadHandler: handlerModules().load,
    lambdaTimeoutMs: LAMBDA_TIMEOUT_MS,
    log: () => {},
  });
  gateway.apiReady = true;
  gateway.ready = true;
  const serveWebhook = gatewayListener(gateway);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === WORKER_CPU_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ cpuMs: processCpuMs() }));
      return;
    }
    serveWebhook(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = () => {
    server.closeAllConnections();
    server.close(() => {
      rmSync(stateDir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  stopWhenStdinCloses(stop);
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

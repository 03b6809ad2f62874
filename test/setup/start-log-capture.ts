/**
 * jest `globalSetup` for the linkout project: a fresh run directory for the captured logs. Workers
 * start after this and inherit the environment variable naming it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CAPTURE_DIR_ENV } from './log-sink';

export default function startLogCapture(): void {
  process.env[CAPTURE_DIR_ENV] = mkdtempSync(path.join(tmpdir(), 'linkout-logs-'));
}

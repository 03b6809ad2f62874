/**
 * Where a test process's captured log lines go: one file per jest worker in the run directory that
 * test/setup/start-log-capture.ts created (LINKOUT_LOG_CAPTURE_DIR). Each line is prefixed with the
 * test file that was running, so the scan can say where a secret was logged.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CAPTURE_FIELD_SEPARATOR } from './log-scan';

export const CAPTURE_DIR_ENV = 'LINKOUT_LOG_CAPTURE_DIR';

/** The running test file, relative to the repository, once jest's `expect` is installed. */
function currentTestFile(): string {
  const testPath = (globalThis as { expect?: { getState?: () => { testPath?: string } } }).expect?.getState?.().testPath;
  return testPath ? path.relative(path.resolve(__dirname, '../..'), testPath) : '<setup>';
}

/** Appends text (one or more lines) to this worker's capture file; a no-op when capture is off. */
export function captureLog(text: string): void {
  const directory = process.env[CAPTURE_DIR_ENV];
  if (!directory) return;
  const testFile = currentTestFile();
  const lines = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => `${testFile}${CAPTURE_FIELD_SEPARATOR}${line}\n`);
  if (lines.length === 0) return;
  const file = path.join(directory, `worker-${process.env.JEST_WORKER_ID ?? '1'}.log`);
  try {
    appendFileSync(file, lines.join(''));
  } catch {
    // A log write must never fail the code under test: recreate a directory removed under the run.
    mkdirSync(directory, { recursive: true });
    appendFileSync(file, lines.join(''));
  }
}

/**
 * jest `globalTeardown` for the linkout project: once every test file has finished (in every worker),
 * scan the captured logs for secrets. The run fails naming the test file and the kind of secret,
 * never the secret. A whole-suite run must also have captured at least MIN_LINES_FOR_FULL_RUN lines:
 * a scan of nothing would prove nothing, so a capture that silently broke fails the run too.
 */
import { rmSync } from 'node:fs';
import { scanCaptureDirectory } from './log-scan';
import { CAPTURE_DIR_ENV } from './log-sink';

/** Far below a whole run's count (13,218 lines from 35 test files when this was written), far above what a broken capture yields. */
const MIN_LINES_FOR_FULL_RUN = 1000;

/** The part of jest's global configuration that tells a whole-suite run from a filtered one. */
interface RunFilters {
  nonFlagArgs: string[];
  testPathPattern?: string;
  testNamePattern?: string;
  onlyChanged?: boolean;
  findRelatedTests?: boolean;
  shard?: unknown;
  watch?: boolean;
  watchAll?: boolean;
}

/** Whether the run is the whole suite (no path, name, changed-files or shard filter). */
function isWholeSuite(config: RunFilters): boolean {
  return (
    config.nonFlagArgs.length === 0 &&
    !config.testPathPattern &&
    !config.testNamePattern &&
    !config.onlyChanged &&
    !config.findRelatedTests &&
    config.shard === undefined &&
    !config.watch &&
    !config.watchAll
  );
}

export default function scanLogs(globalConfig: RunFilters): void {
  const directory = process.env[CAPTURE_DIR_ENV];
  if (!directory) throw new Error('log scan: no capture directory; test/setup/start-log-capture.ts did not run');
  const report = scanCaptureDirectory(directory);
  const problems = report.findings.map((finding) => `  ${finding.testFile}: ${finding.kind} in ${finding.lines} line(s)`);
  if (isWholeSuite(globalConfig) && report.lines < MIN_LINES_FOR_FULL_RUN) {
    problems.push(`  only ${report.lines} lines were captured (at least ${MIN_LINES_FOR_FULL_RUN} expected from the whole suite): the capture is broken`);
  }
  if (problems.length > 0) {
    throw new Error(`log scan failed (captured logs kept in ${directory}):\n${problems.join('\n')}`);
  }
  process.stderr.write(`log scan: ${report.lines} lines from ${report.testFiles} test files, 0 secrets\n`);
  rmSync(directory, { recursive: true, force: true });
}

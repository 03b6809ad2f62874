/**
 * jest `setupFiles` for the linkout project: every test process logs at DEBUG (unless LOG_LEVEL is
 * already set, or a test sets its own before loading the logger), and what would be printed is
 * captured to the run's files instead of the terminal, for the secret scan after the run
 * (test/setup/scan-logs.ts).
 *
 * Powertools' Logger prints through `new Console({ stdout: process.stdout, stderr: process.stderr })`
 * (node_modules/@aws-lambda-powertools/logger/lib/cjs/Logger.js, setConsole), built when the logger
 * module loads. Replacing `process.stdout`/`process.stderr` on the test sandbox's own `process`
 * object (jest gives each test file a copy) routes those writes here, while jest's reporters, which
 * use the real process, keep the terminal. Child processes a test starts write to the real file
 * descriptors and are not captured. Tests that spy on `process.stdout.write` still see every
 * write, because the Console holds this stream and calls its `write`.
 */
import { CAPTURE_DIR_ENV, captureLog } from './log-sink';

if (process.env.LOG_LEVEL === undefined) process.env.LOG_LEVEL = 'DEBUG';

if (process.env[CAPTURE_DIR_ENV]) {
  for (const name of ['stdout', 'stderr'] as const) {
    // A stand-in that inherits everything from the real stream but `write`: code that hands the
    // stream to a child process (CDK's bundling passes process.stderr as stdio) still finds its fd.
    const stream = Object.create(process[name], {
      write: {
        configurable: true,
        writable: true,
        value(chunk: unknown, encoding?: unknown, done?: unknown): boolean {
          captureLog(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
          const callback = typeof encoding === 'function' ? encoding : done;
          if (typeof callback === 'function') process.nextTick(callback);
          return true;
        },
      },
    });
    Object.defineProperty(process, name, { configurable: true, enumerable: true, value: stream });
  }
}

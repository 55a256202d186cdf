import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the CPUs (1 on the 2-core CI machine); the suite is
    // mostly synth (CPU) and waits on local servers, so both cores pay off.
    maxWorkers: 2,
  },
});

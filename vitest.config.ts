import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Stops the Docker engines the run started (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    // Real processes and sockets: give slow CI machines room, but never let a hung test stall the run.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});

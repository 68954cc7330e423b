import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'core/**/*.test.ts',
            'scripts/**/*.test.ts',
            'actions/**/*.test.ts',
            'registry/**/*.test.ts',
            '.github/**/*.test.ts',
          ],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['site/**/*.test.ts'],
          // One build of the sample site, shared by every e2e file.
          globalSetup: ['site/e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          // Pages fill in as their scripts load; on a busy 2-core machine that
          // can take longer than the default 1 s a poll waits.
          expect: { poll: { timeout: 15_000 } },
        },
      },
    ],
  },
})

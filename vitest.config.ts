import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['harness/**/*.test.ts', 'reference-sbc/test/**/*.test.ts', 'topology/**/*.test.ts', 'test/**/*.test.ts', 'mutants/**/*.test.ts'],
    reporters: ['default'],
    testTimeout: 20000,
  },
});

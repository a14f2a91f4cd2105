import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['bin/**/*.test.ts', 'harness/**/*.test.ts', 'reference-sbc/test/**/*.test.ts', 'topology/**/*.test.ts', 'test/**/*.test.ts', 'mutants/**/*.test.ts'],
    reporters: ['default'],
    testTimeout: 20000,
  },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests import project modules through vitest's own loader, which does not run Node's
  // resolution hooks: name the package entry here as Baton's CLI does at run time.
  resolve: { alias: { baton: fileURLToPath(new URL('./src/public.ts', import.meta.url)) } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});

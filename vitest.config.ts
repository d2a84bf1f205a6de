import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The product's tests, then the playground's (local cloud, dynalite, simulator, real-parts integration).
    include: ['test/**/*.test.ts', 'playground/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The SDK's notice that its 2027 releases need Node 22 (DESIGN.md §7), once per process otherwise.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    // End-to-end tests run whole pipelines through the CLI; timings are measured in `make bench`, not here.
    testTimeout: 600_000,
    hookTimeout: 600_000
  }
})

import { defineConfig } from "vitest/config"
import projects from "./vitest.workspace.js"

export default defineConfig({
  test: {
    projects,
    // Used by `pnpm coverage` (vitest run --coverage on the core and adapters projects); off for `pnpm test`.
    coverage: {
      provider: "v8",
      include: ["packages/core/src/**/*.ts", "packages/adapters/src/**/*.ts"],
      reporter: ["text", "json-summary"],
      reportsDirectory: "coverage",
      // Per package, under what the suite reaches (lines ≥ 90%, the aim; functions and branches with room for new
      // code paths), so a real drop fails CI.
      thresholds: {
        "packages/core/src/**": { lines: 90, statements: 90, functions: 80, branches: 85 },
        "packages/adapters/src/**": { lines: 90, statements: 90, functions: 80, branches: 85 }
      }
    }
  }
})

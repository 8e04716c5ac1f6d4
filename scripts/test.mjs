// Runs the whole vitest workspace once and closes with the line `N passed, N failed`, read from vitest's own
// JSON report, so CI and people see the same count. Exits with vitest's exit code.
import { spawnSync } from "node:child_process"
import { readFileSync, rmSync } from "node:fs"

const report = ".vitest-results.json"
rmSync(report, { force: true })
const run = spawnSync(
  "vitest",
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: "inherit", shell: process.platform === "win32" }
)
let passed = 0
let failed = 0
try {
  const results = JSON.parse(readFileSync(report, "utf8"))
  passed = results.numPassedTests
  failed = results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0)
} catch {
  failed = Math.max(failed, 1)
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(run.status ?? 1)

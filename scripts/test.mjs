// Runs the whole vitest workspace once and closes with the line `N passed, N failed`, read from vitest's own
// JSON report, so CI and people see the same count. Exits with vitest's exit code.
import { spawnSync } from "node:child_process"
import { readFileSync, rmSync } from "node:fs"

// The Redis store's tests start their own redis-server processes on loopback; they need the binary. On a fresh
// Debian machine run as root (CI), install it; elsewhere say how, and let those tests fail with the same hint.
const hasCommand = (name) => spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0
if (!hasCommand("redis-server")) {
  if (process.getuid?.() === 0 && hasCommand("apt-get")) {
    console.log("redis-server is missing: installing Debian's redis-server for the Redis store's tests")
    const install = spawnSync(
      "sh",
      ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null"],
      { stdio: "inherit" }
    )
    if (install.status !== 0) console.log("could not install redis-server; the Redis store's tests will fail")
  } else {
    console.log("redis-server is missing: install it (e.g. apt-get install redis-server) for the Redis store's tests")
  }
}

// The SQL store's tests start their own PostgreSQL servers (initdb and postgres, run as nobody when root) in
// throwaway directories on loopback. Debian puts the binaries in /usr/lib/postgresql/<version>/bin.
const hasPostgres = () =>
  hasCommand("postgres") ||
  spawnSync("sh", ["-c", "ls /usr/lib/postgresql/*/bin/postgres"], { stdio: "ignore" }).status === 0
if (!hasPostgres()) {
  if (process.getuid?.() === 0 && hasCommand("apt-get")) {
    console.log("PostgreSQL is missing: installing Debian's postgresql for the SQL store's tests")
    const install = spawnSync(
      "sh",
      [
        "-c",
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null"
      ],
      { stdio: "inherit" }
    )
    if (install.status !== 0 || !hasPostgres())
      console.log("could not install PostgreSQL; the SQL store's tests will fail")
  } else {
    console.log("PostgreSQL is missing: install it (e.g. apt-get install postgresql) for the SQL store's tests")
  }
}

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

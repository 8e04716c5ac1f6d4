// Runs the whole vitest workspace and closes with the line `N passed, N failed`, read from vitest's own JSON
// reports, so CI and people see the same count. Exits with vitest's exit code.
//
// Tests against the real clock with real processes and servers (several processes sharing Redis, Redis stopped and
// started, a browser) run second, one file at a time: what they measure in real time must not depend on how many
// other test files happen to share the machine's cores at that moment.
import { spawnSync } from "node:child_process"
import { readFileSync, rmSync } from "node:fs"

const REAL_TIME = ["MultiProcess.test.ts", "ManyMerchants.test.ts", "RedisOutage.test.ts", "app-server.browser.test.ts"]

// Real components are real in tests. On a fresh Debian machine run as root (CI), what is missing is installed
// (one apt run); elsewhere the hint says how, and the tests that need it fail with the same hint.
const hasCommand = (name) => spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0
// The SQL store's tests start their own PostgreSQL servers (initdb and postgres, run as nobody when root) in
// throwaway directories on loopback; Debian puts the binaries in /usr/lib/postgresql/<version>/bin.
const hasPostgres = () =>
  hasCommand("postgres") ||
  spawnSync("sh", ["-c", "ls /usr/lib/postgresql/*/bin/postgres"], { stdio: "ignore" }).status === 0
const needs = [
  {
    present: () => hasCommand("redis-server"),
    command: "redis-server",
    pkg: "redis-server",
    for: "the Redis store's tests"
  },
  { present: hasPostgres, command: "postgres", pkg: "postgresql", for: "the SQL store's tests", lean: true },
  {
    present: () => hasCommand("chromium") || !!process.env.CHROMIUM_PATH,
    command: "chromium",
    pkg: "chromium",
    for: "the app server's browser test"
  }
]
const missing = needs.filter((n) => !n.present())
if (missing.length > 0) {
  const pkgs = missing.map((n) => n.pkg).join(" ")
  if (process.getuid?.() === 0 && hasCommand("apt-get")) {
    console.log(`installing Debian's ${pkgs} for ${missing.map((n) => n.for).join(", ")}`)
    const list = (lean) =>
      missing
        .filter((n) => !!n.lean === lean)
        .map((n) => n.pkg)
        .join(" ")
    const install = (packages, flags) =>
      packages === "" ? "" : ` && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${flags}${packages} >/dev/null`
    const script = `apt-get update -qq${install(list(false), "")}${install(list(true), "--no-install-recommends ")}`
    const done = spawnSync("sh", ["-c", script], { stdio: "inherit" })
    if (done.status !== 0) console.log(`could not install ${pkgs}; the tests that need them will fail`)
  } else {
    for (const n of missing) console.log(`${n.command} is missing: install it (apt-get install ${n.pkg}) for ${n.for}`)
  }
}

/** One vitest run with its own JSON report; its counts and exit status. */
const vitest = (report, args) => {
  rmSync(report, { force: true })
  const run = spawnSync(
    "vitest",
    ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args],
    { stdio: "inherit", shell: process.platform === "win32" }
  )
  try {
    const results = JSON.parse(readFileSync(report, "utf8"))
    return {
      passed: results.numPassedTests,
      failed: results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0),
      status: run.status ?? 1
    }
  } catch {
    return { passed: 0, failed: 1, status: run.status ?? 1 }
  }
}

const extra = process.argv.slice(2)
const first = vitest(".vitest-results.json", [...REAL_TIME.flatMap((f) => ["--exclude", `**/${f}`]), ...extra])
const second = vitest(".vitest-results-real-time.json", [
  ...REAL_TIME,
  "--no-file-parallelism",
  "--passWithNoTests",
  ...extra
])
console.log(`${first.passed + second.passed} passed, ${first.failed + second.failed} failed`)
process.exit(first.status !== 0 ? first.status : second.status)

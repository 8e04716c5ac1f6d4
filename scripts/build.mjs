// Builds every package that has a `tsconfig.build.json` to its `dist/` with plain tsc: ESM JavaScript, `.d.ts`,
// declaration and source maps, no tests. `node scripts/build.mjs core adapters` builds only those (and what they
// reference). It starts from a clean slate (dist and the build info removed) so that a
// module deleted from `src` never lingers in what gets packed.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, rmSync } from "node:fs"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")
const buildable = readdirSync(join(root, "packages"))
  .filter((name) => existsSync(join(root, "packages", name, "tsconfig.build.json")))
  .sort()
const wanted = process.argv.slice(2)
for (const name of wanted) {
  if (!buildable.includes(name)) {
    console.error(`build: no packages/${name}/tsconfig.build.json (buildable: ${buildable.join(", ")})`)
    process.exit(2)
  }
}
const packages = wanted.length > 0 ? wanted : buildable

for (const name of packages) {
  rmSync(join(root, "packages", name, "dist"), { recursive: true, force: true })
  rmSync(join(root, "packages", name, "build", "dist.tsbuildinfo"), { force: true })
}

const started = Date.now()
const tsc = spawnSync(
  process.execPath,
  [
    join(root, "node_modules", "typescript", "bin", "tsc"),
    "-b",
    ...packages.map((name) => `packages/${name}/tsconfig.build.json`)
  ],
  { cwd: root, stdio: "inherit" }
)
if (tsc.status !== 0) {
  console.error(`\nbuild: tsc failed (exit ${tsc.status ?? tsc.signal})`)
  process.exit(1)
}
console.log(`build: ${packages.join(", ")} → dist/ in ${((Date.now() - started) / 1000).toFixed(1)}s`)

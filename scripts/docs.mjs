// The API reference: runs @effect/docgen in every package that has a docgen.json, two at a time. docgen reads
// the JSDoc of every public module (internals and the index excluded), fails on an export without `@since`, and
// type-checks every `@example` against the sources; it writes Markdown, one page per module, to
// packages/<name>/docs/modules/ (not committed). `node scripts/docs.mjs core testing` builds only those.
import { spawn } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")
const documented = readdirSync(join(root, "packages"))
  .filter((name) => existsSync(join(root, "packages", name, "docgen.json")))
  .sort()
const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !documented.includes(name))
if (unknown.length > 0) {
  console.error(`docs: no packages/${unknown[0]}/docgen.json (documented: ${documented.join(", ")})`)
  process.exit(2)
}
const queue = wanted.length > 0 ? [...wanted] : [...documented]
const started = Date.now()
const failed = []

const docgen = (name) =>
  new Promise((resolve) => {
    const begun = Date.now()
    const child = spawn("pnpm", ["exec", "docgen"], {
      cwd: join(root, "packages", name),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("close", (code) => {
      const seconds = ((Date.now() - begun) / 1000).toFixed(1)
      if (code === 0) console.log(`docs: ${name} → packages/${name}/docs/modules (${seconds}s)`)
      else {
        failed.push(name)
        console.log(`docs: ${name} FAILED (${seconds}s)\n${output.replace(/^/gm, "  ")}`)
      }
      resolve()
    })
  })

const worker = async () => {
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) await docgen(name)
}
await Promise.all([worker(), worker()])
const seconds = ((Date.now() - started) / 1000).toFixed(1)
if (failed.length > 0) {
  console.log(`docs: ${failed.length} failed: ${failed.join(", ")} (${seconds}s)`)
  process.exit(1)
}
console.log(`docs: API reference built in ${seconds}s`)

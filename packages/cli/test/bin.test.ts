import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Help from "../src/Help.js"
import { controlCharacters, tempHome } from "./harness.js"

// The executable as shipped: the bundle in dist/ (bin/ultracart-oauth.mjs builds it first when a source is newer),
// spawned as a process. Every other test of this package runs the TypeScript sources in process.

const bin = fileURLToPath(new URL("../bin/ultracart-oauth.mjs", import.meta.url))
const dist = fileURLToPath(new URL("../dist", import.meta.url))

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const spawn = (script: string, args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.async<Run>((resume) => {
    const child = execFile(process.execPath, [script, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resume(
        Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
      )
    )
    return Effect.sync(() => child.kill())
  })

const environment = (home: string) => ({
  PATH: process.env["PATH"] ?? "",
  HOME: home,
  XDG_CONFIG_HOME: `${home}/.config`
})

describe("ultracart-oauth (the bundle, spawned)", () => {
  it.scoped(
    "--version and --help answer at once, in plain text",
    () =>
      Effect.gen(function* () {
        const env = environment(yield* tempHome)
        const version = yield* spawn(bin, ["--version"], env)
        expect(version).toEqual({ code: 0, stdout: `${Help.VERSION}\n`, stderr: "" })
        const help = yield* spawn(bin, ["--help"], env)
        expect(help).toEqual({ code: 0, stdout: `${Help.TEXT}\n`, stderr: "" })
        // A command's own help, into a pipe: no colour.
        const login = yield* spawn(bin, ["login", "--help"], env)
        expect(login.code).toBe(0)
        expect(login.stdout).toContain("--redirect-uri")
        expect(controlCharacters(login.stdout)).toEqual([])
      }),
    { timeout: 120_000 }
  )

  it.scoped(
    "login --fake logs in end to end and exits 0; a bad flag exits 2; --wizard without a terminal exits 2",
    () =>
      Effect.gen(function* () {
        const home = yield* tempHome
        const env = environment(home)
        const login = yield* spawn(bin, ["login", "--fake", "--token-dir", `${home}/tokens`], env)
        expect(login.stderr).not.toContain("error:")
        expect(login.code).toBe(0)
        expect(login.stdout).toContain("/oauth/authorize?response_type=code&client_id=fake-ultracart-app")
        expect(login.stdout).toContain(`Logged in: grant "fake-ultracart-app" stored in ${home}/tokens`)
        const bad = yield* spawn(bin, ["status", "--nope"], env)
        expect(bad.code).toBe(2)
        expect(bad.stderr).toContain("--nope")
        const wizard = yield* spawn(bin, ["--wizard"], env)
        expect(wizard.code).toBe(2)
        expect(wizard.stderr).toContain("--wizard needs a terminal")
      }),
    { timeout: 120_000 }
  )

  it.scoped(
    "a plain status loads neither @effect/cli's parser nor its printer, nor the fake",
    () =>
      Effect.gen(function* () {
        const env = environment(yield* tempHome)
        expect((yield* spawn(bin, ["--version"], env)).code).toBe(0)
        const inputs = JSON.parse(readFileSync(join(dist, "..", "build", "bundle-inputs.json"), "utf8")) as Record<
          string,
          Record<string, number>
        >
        // The chunks the status entry loads: its own and, transitively, those it imports.
        const entry = readdirSync(join(dist, "chunks")).find((f) => f.startsWith("mainStatus-"))
        expect(entry).toBeDefined()
        const loaded = new Set<string>()
        const visit = (file: string) => {
          if (loaded.has(file)) return
          loaded.add(file)
          for (const m of readFileSync(join(dist, "chunks", file), "utf8").matchAll(/\bfrom\s*["']\.\/([^"']+)["']/g)) {
            visit(m[1] ?? "")
          }
        }
        visit(entry ?? "")
        const bytes: Record<string, number> = {}
        for (const file of loaded) {
          for (const [name, n] of Object.entries(inputs[`chunks/${file}`] ?? {})) bytes[name] = (bytes[name] ?? 0) + n
        }
        expect(bytes["effect"]).toBeGreaterThan(0)
        expect(bytes["packages/adapters"]).toBeGreaterThan(0)
        for (const left of ["@effect/printer", "@effect/printer-ansi", "packages/testing", "ws"]) {
          expect([left, bytes[left] ?? 0]).toEqual([left, 0])
        }
        // Only its edit distance (for suggesting config keys) and config defaults.
        expect(bytes["@effect/cli"] ?? 0).toBeLessThan(2_000)
      }),
    { timeout: 120_000 }
  )

  it.scoped(
    "imports nothing but Node's own modules, runs copied anywhere, and leaves fast-check and the config parsers out",
    () =>
      Effect.gen(function* () {
        const env = environment(yield* tempHome)
        expect((yield* spawn(bin, ["--version"], env)).code).toBe(0)
        const files = ["ultracart-oauth.mjs", ...readdirSync(join(dist, "chunks")).map((f) => `chunks/${f}`)]
        const specifiers = files.flatMap((file) =>
          [
            ...readFileSync(join(dist, file), "utf8").matchAll(
              /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g
            )
          ].map((m) => m[1] ?? "")
        )
        const foreign = specifiers.filter(
          (s) => !s.startsWith("./") && !s.startsWith("../") && !s.startsWith("node:") && !/^[a-z_]+$/.test(s)
        )
        // ws tries these native speed-ups inside a try and goes on without them.
        expect(foreign.filter((s) => s !== "utf-8-validate")).toEqual([])

        const inputs = JSON.parse(readFileSync(join(dist, "..", "build", "bundle-inputs.json"), "utf8")) as Record<
          string,
          Record<string, number>
        >
        const packages = new Set(Object.values(inputs).flatMap((file) => Object.keys(file)))
        for (const left of ["fast-check", "pure-rand", "yaml", "toml", "ini", "undici", "tsx"]) {
          expect([left, packages.has(left)]).toEqual([left, false])
        }
        // The entry itself is the help and version: the CLI loads only for other command lines.
        expect(Object.keys(inputs["ultracart-oauth.mjs"] ?? {})).toEqual(["packages/cli"])

        // Copied where no node_modules can be found, with its chunks: it still runs, the fake included.
        const elsewhere = mkdtempSync(join(tmpdir(), "ultracart-oauth-bundle-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(elsewhere, { recursive: true, force: true })))
        cpSync(join(dist, "ultracart-oauth.mjs"), join(elsewhere, "ultracart-oauth.mjs"))
        cpSync(join(dist, "chunks"), join(elsewhere, "chunks"), { recursive: true })
        const copy = join(elsewhere, "ultracart-oauth.mjs")
        const status = yield* spawn(copy, ["status", "--token-dir", `${elsewhere}/tokens`], env)
        expect(status.code).toBe(3)
        expect(status.stdout).toContain("Logged in:     no")
        const login = yield* spawn(copy, ["login", "--fake", "--token-dir", `${elsewhere}/tokens`], env)
        expect(login.code).toBe(0)
        expect((yield* spawn(copy, ["grants", "--token-dir", `${elsewhere}/tokens`, "--json"], env)).stdout).toContain(
          '"grant": "fake-ultracart-app"'
        )
      }),
    { timeout: 120_000 }
  )
})

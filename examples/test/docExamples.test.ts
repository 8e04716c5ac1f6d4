/**
 * Every `@example` of the libraries' JSDoc, compiled and run: the fenced TypeScript under an `@example` tag in any
 * module of `packages/*\/src` is extracted into a module of its own (under `examples/build/doc-examples`, where the
 * workspace's packages resolve as they do for a user), type-checked with the workspace's strict settings, and
 * imported. An example passes when it compiles and runs to its end; one that asserts (`assert`, Node's `node:assert`,
 * in scope without an import as in the API reference's check) checks what it shows. Nothing needs registering: an
 * `@example` written in any module is picked up.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = fileURLToPath(new URL("../..", import.meta.url))
const outDir = Path.join(root, "examples", "build", "doc-examples")

interface DocExample {
  /** `package/Module` and the example's place in it, e.g. `core/OAuthClient#2`. */
  readonly name: string
  readonly file: string
  readonly code: string
}

/** The fenced code of every `@example` in a source text, in order. */
export const examplesIn = (source: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const comment of source.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const lines = comment
      .slice(3, -2)
      .split("\n")
      .map((line) => line.replace(/^\s*\* ?/, ""))
    let inExample = false
    let fence: Array<string> | undefined
    for (const line of lines) {
      if (/^@\w+/.test(line)) inExample = line.startsWith("@example")
      if (!inExample) continue
      if (fence === undefined && /^```(ts|typescript)\s*$/.test(line)) fence = []
      else if (fence !== undefined && /^```\s*$/.test(line)) {
        found.push(fence.join("\n"))
        fence = undefined
      } else if (fence !== undefined) fence.push(line)
    }
  }
  return found
}

const sourceFiles = (dir: string): ReadonlyArray<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : []
  })

const assertImport = 'import * as assert from "node:assert"\n'

/** Every example of every package, written out as a module of its own. */
const collect = (): ReadonlyArray<DocExample> => {
  Fs.rmSync(outDir, { recursive: true, force: true })
  const packages = Fs.readdirSync(Path.join(root, "packages"))
  return packages.flatMap((pkg) => {
    const src = Path.join(root, "packages", pkg, "src")
    if (!Fs.existsSync(src)) return []
    return sourceFiles(src).flatMap((source) =>
      examplesIn(Fs.readFileSync(source, "utf8")).map((code, index) => {
        const module = Path.relative(src, source).replace(/\.ts$/, "")
        const file = Path.join(outDir, pkg, `${module.replaceAll("/", "__")}.example${index + 1}.ts`)
        Fs.mkdirSync(Path.dirname(file), { recursive: true })
        // An example is a module: its top-level `await`s run in order, and its names stay its own. `assert` is in
        // scope without an import, as the API reference's own check of the examples has it.
        Fs.writeFileSync(file, `${assertImport}${code}\n\nexport {}\n`)
        return { name: `${pkg}/${module}#${index + 1}`, file, code }
      })
    )
  })
}

/** Type-checks the examples with the workspace's compiler settings; the diagnostics of the examples themselves. */
const typeCheck = (files: ReadonlyArray<string>): ReadonlyArray<string> => {
  const config = ts.getParsedCommandLineOfConfigFile(
    Path.join(root, "examples", "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))
      }
    }
  )
  if (config === undefined) throw new Error("examples/tsconfig.json does not parse")
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    composite: false,
    incremental: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    emitDeclarationOnly: false,
    // An example need not use everything it shows.
    noUnusedLocals: false,
    noUnusedParameters: false
  }
  delete options.tsBuildInfoFile
  delete options.rootDir
  const program = ts.createProgram({ rootNames: [...files], options })
  const ours = new Set(files.map((file) => Path.resolve(file)))
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && ours.has(Path.resolve(d.file.fileName)))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
      return `${Path.relative(outDir, d.file!.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
    })
}

const examples = collect()

describe("the libraries' @example blocks", () => {
  it("are found (the harness reads the JSDoc of packages/*/src)", () => {
    expect(examplesIn("/**\n * x\n *\n * @example\n * ```ts\n * const a = 1\n * ```\n * @since 1\n */")).toEqual([
      "const a = 1"
    ])
    expect(examples.length).toBeGreaterThan(0)
  })

  it("type-check", { timeout: 300_000 }, () => {
    expect(typeCheck(examples.map((e) => e.file))).toEqual([])
  })

  for (const example of examples) {
    it(`${example.name} runs`, { timeout: 60_000 }, async () => {
      await import(/* @vite-ignore */ example.file)
    })
  }
})

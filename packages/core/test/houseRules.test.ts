/**
 * House rules for core's source, checked: no function longer than 120 lines (a function is read in one sitting).
 */
import { expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const src = fileURLToPath(new URL("../src", import.meta.url))
const MAX_LINES = 120

const sources = (dir: string): ReadonlyArray<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    return entry.isDirectory() ? sources(path) : entry.name.endsWith(".ts") ? [path] : []
  })

/** `file:line name (n lines)` for every function longer than the limit. */
const longFunctions = (file: string): ReadonlyArray<string> => {
  const source = ts.createSourceFile(file, Fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
  const found: Array<string> = []
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line
      const lines = source.getLineAndCharacterOfPosition(node.getEnd()).line - first + 1
      if (lines > MAX_LINES) found.push(`${Path.relative(src, file)}:${first + 1} (${lines} lines)`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

it(`no function in packages/core/src is longer than ${MAX_LINES} lines`, () => {
  const files = sources(src)
  expect(files.length).toBeGreaterThan(10)
  expect(files.flatMap(longFunctions)).toEqual([])
})

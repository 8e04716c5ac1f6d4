/**
 * The root README's quick start is an excerpt of `examples/src/quickstart.ts`, word for word, so the code a reader
 * sees is the code that `pnpm check:packages` compiles and runs from the packed packages.
 */
import { expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"

const root = join(import.meta.dirname, "..", "..")
const section = (markdown: string, heading: string): string => {
  const start = markdown.indexOf(`\n## ${heading}\n`)
  const end = markdown.indexOf("\n## ", start + 1)
  return markdown.slice(start, end === -1 ? undefined : end)
}

it("the README's quick start code is a verbatim excerpt of examples/src/quickstart.ts", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8")
  const source = readFileSync(join(root, "examples", "src", "quickstart.ts"), "utf8")
  const blocks = [...section(readme, "Quick start").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "")
  expect(blocks.length).toBeGreaterThan(0)
  for (const block of blocks) expect(source).toContain(block)
})

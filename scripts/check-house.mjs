// The house rules that a reader can check by eye, checked by a program: no function in a library's sources longer
// than MAX_LINES lines, and no import circle between its modules (relative imports, and `@ultracart-oauth/<pkg>/<M>`
// imports across packages). Prints what breaks a rule and exits 1, or prints a one-line summary.
//
//   node scripts/check-house.mjs            # every packages/*/src
//   node scripts/check-house.mjs --list 60  # also list every function longer than 60 lines (for a look around)
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import ts from "typescript"

const MAX_LINES = 120
const root = resolve(dirname(new URL(import.meta.url).pathname), "..")
const listAt = process.argv.includes("--list") ? Number(process.argv[process.argv.indexOf("--list") + 1]) : undefined

const sourcesOf = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourcesOf(path)
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : []
  })

const packages = readdirSync(join(root, "packages")).filter((name) => {
  try {
    return statSync(join(root, "packages", name, "src")).isDirectory()
  } catch {
    return false
  }
})
const files = packages.flatMap((name) => sourcesOf(join(root, "packages", name, "src")))

/** Every function-like node, with its name (as far as it has one) and its length in lines. */
const functionsOf = (file, source) => {
  const found = []
  const visit = (node) => {
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node)
    ) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
      found.push({ file, line: start + 1, lines: end - start + 1, name: nameOf(node) })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const nameOf = (node) => {
  if (node.name !== undefined && ts.isIdentifier(node.name)) return node.name.text
  let parent = node.parent
  while (parent !== undefined) {
    if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text
    if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && ts.isIdentifier(parent.name)) {
      return parent.name.text
    }
    parent = parent.parent
  }
  return "(anonymous)"
}

/** Where a module specifier of `file` leads, if it is one of ours. */
const targetOf = (file, specifier) => {
  if (specifier.startsWith(".")) return resolve(dirname(file), specifier.replace(/\.js$/, ".ts"))
  const match = /^@ultracart-oauth\/([^/]+)\/(.+)$/.exec(specifier)
  return match === null ? undefined : join(root, "packages", match[1], "src", `${match[2]}.ts`)
}

const imports = new Map()
const functions = []
for (const file of files) {
  const text = readFileSync(file, "utf8")
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  functions.push(...functionsOf(file, source))
  const targets = new Set()
  for (const statement of source.statements) {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier
        ? statement.moduleSpecifier.text
        : undefined
    const target = specifier === undefined ? undefined : targetOf(file, specifier)
    if (target !== undefined && files.includes(target)) targets.add(target)
  }
  imports.set(file, targets)
}

/** Import circles, found by a depth-first walk (each reported once, from its first file). */
const circles = []
const state = new Map()
const walk = (file, path) => {
  state.set(file, "open")
  for (const next of imports.get(file) ?? []) {
    if (state.get(next) === "open") circles.push([...path.slice(path.indexOf(next)), next])
    else if (!state.has(next)) walk(next, [...path, next])
  }
  state.set(file, "done")
}
for (const file of files) if (!state.has(file)) walk(file, [file])

const show = (path) => relative(root, path)
const long = functions.filter((f) => f.lines > MAX_LINES)
if (listAt !== undefined) {
  for (const f of functions.filter((f) => f.lines > listAt).sort((a, b) => b.lines - a.lines)) {
    console.log(`${String(f.lines).padStart(4)} lines  ${show(f.file)}:${f.line} ${f.name}`)
  }
}
for (const f of long)
  console.log(`too long: ${show(f.file)}:${f.line} ${f.name} is ${f.lines} lines (at most ${MAX_LINES})`)
for (const circle of circles) console.log(`import circle: ${circle.map(show).join(" -> ")}`)
if (long.length > 0 || circles.length > 0) process.exit(1)
console.log(
  `house: ${files.length} modules in ${packages.length} packages, no function over ${MAX_LINES} lines, no import circle`
)

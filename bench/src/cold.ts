/**
 * One cold start: the time from before the program's import to its first token, in a fresh process. The program
 * module is imported dynamically, so nothing of it loads before the clock starts. Prints one JSON line.
 */
const t0 = performance.now()
const [modulePath = "", baseUrl = ""] = process.argv.slice(2)
const program = (await import(modulePath)) as { run: (baseUrl: string) => Promise<string> }
const imported = performance.now()
const tokenType = await program.run(baseUrl)
const done = performance.now()
if (tokenType !== "bearer") throw new Error(`unexpected token type ${tokenType}`)
process.stdout.write(
  `${JSON.stringify({ importMs: imported - t0, firstTokenMs: done - t0, sinceProcessStartMs: done })}\n`
)
// Keep-alive sockets would hold the process open.
process.exit(0)

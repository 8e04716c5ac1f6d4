/**
 * One cold start: the time (and the CPU) from before the program's import to its first token, in a fresh process. The program
 * module is imported dynamically, so nothing of it loads before the clock starts. Prints one JSON line.
 */
const t0 = performance.now()
const cpu0 = process.cpuUsage()
const [modulePath = "", baseUrl = ""] = process.argv.slice(2)
const program = (await import(modulePath)) as { run: (baseUrl: string) => Promise<string> }
const imported = performance.now()
const importCpu = process.cpuUsage(cpu0)
const tokenType = await program.run(baseUrl)
const done = performance.now()
const cpu = process.cpuUsage(cpu0)
if (tokenType !== "bearer") throw new Error(`unexpected token type ${tokenType}`)
process.stdout.write(
  `${JSON.stringify({
    importMs: imported - t0,
    importCpuMs: (importCpu.user + importCpu.system) / 1000,
    firstTokenMs: done - t0,
    // CPU of this process (all threads) over the same span: what a shared machine's load barely changes.
    firstTokenCpuMs: (cpu.user + cpu.system) / 1000,
    sinceProcessStartMs: done
  })}\n`
)
// Keep-alive sockets would hold the process open.
process.exit(0)

/** Child processes of the run. */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { benchDir, distDir } from "./build.js"

/** CPU seconds of this process and of its children that have ended (Linux; undefined elsewhere). */
const cpuSeconds = (): number | undefined => {
  try {
    const stat = Fs.readFileSync("/proc/self/stat", "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // utime, stime, cutime, cstime, in clock ticks (100 per second)
    return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100
  } catch {
    return undefined
  }
}

/** A progress line on stderr, with the seconds since the run started (and the CPU seconds spent so far). */
export const log = (line: string): void => {
  const cpu = cpuSeconds()
  const cpuText = cpu === undefined ? "" : `, ${cpu.toFixed(1)} s CPU`
  process.stderr.write(`[${(performance.now() / 1000).toFixed(1)} s${cpuText}] ${line}\n`)
}

/** Runs `node args…` and resolves with its last stdout line, parsed. */
export const runNode = <A>(args: ReadonlyArray<string>): Promise<A> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: benchDir, stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      out += chunk
    })
    child.on("error", reject)
    child.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? ""
      if (code !== 0) reject(new Error(`node ${args.join(" ")} exited with ${code}`))
      else resolve(JSON.parse(last) as A)
    })
  })

/** The loopback server, in its own process for the whole run. */
export const startServer = (): Promise<{ readonly child: ChildProcess; readonly baseUrl: string }> =>
  new Promise((resolve, reject) => {
    // With an IPC channel: the server exits when this process does, however it ends.
    const child = spawn(process.execPath, [Path.join(distDir, "server.js")], {
      stdio: ["ignore", "pipe", "inherit", "ipc"]
    })
    child.stdout!.setEncoding("utf8")
    child.stdout!.once("data", (port: string) => resolve({ child, baseUrl: `http://127.0.0.1:${port.trim()}` }))
    child.on("error", reject)
  })

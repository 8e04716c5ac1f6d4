/**
 * The real-server harness, with `node` itself as the server: ready when its output says so; a failure that names
 * the server when it exits early (with its output) or never gets ready in time; stopped with the signal asked for;
 * a free port that can be listened on.
 */
import { createServer } from "node:net"
import { describe, expect, it } from "vitest"
import * as ServerProcess from "../src/ServerProcess.js"

const nodeServer = (
  script: string,
  overrides: Partial<ServerProcess.LaunchOptions> = {}
): ServerProcess.LaunchOptions => ({
  name: "node-server",
  command: process.execPath,
  args: ["-e", script],
  readyOn: "stdout",
  readyText: "listening",
  startTimeoutMillis: 10_000,
  stopSignal: "SIGTERM",
  killAfterMillis: 3_000,
  ...overrides
})

describe("ServerProcess", () => {
  it("launch resolves once the ready text is out; terminate stops the server with the signal asked for", async () => {
    const child = await ServerProcess.launch(
      nodeServer(
        "console.error('starting'); setTimeout(() => console.log('listening'), 50); setInterval(() => {}, 1000)",
        {
          readyOn: "stdout"
        }
      )
    )
    expect(child.exitCode).toBeNull()
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_, signal) => resolve(signal)))
    await ServerProcess.terminate(child, "SIGINT", 3_000)
    expect(await exited).toBe("SIGINT")
  })

  it("a server that exits before it is ready fails the launch with its name, exit code and output", async () => {
    await expect(
      ServerProcess.launch(nodeServer("console.error('no data directory'); process.exit(3)", { readyOn: "stderr" }))
    ).rejects.toThrow(/node-server exited \(3\) before it was ready:\nno data directory/)
  })

  it("a server that never says it is ready fails the launch once the start deadline passed", async () => {
    await expect(
      ServerProcess.launch(
        nodeServer("console.log('still starting'); setInterval(() => {}, 1000)", { startTimeoutMillis: 300 })
      )
    ).rejects.toThrow(/^node-server did not get ready within 300 ms:/)
  })

  it("freePort gives a loopback port nobody listens on", async () => {
    const port = await ServerProcess.freePort()
    expect(port).toBeGreaterThan(0)
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => resolve())
    })
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
})

/**
 * A measured process: it loads ONE client module (argv[2] is its id, argv[3] the server's base URL) and nothing of
 * the others, warms it, then answers the run's requests over the IPC channel, one batch at a time. (A smoke run
 * gives it several ids, comma-separated, to start one process instead of one per client; each request names its
 * client.)
 *
 * - `cpu`: a forced GC, `warm` untimed calls (a full GC de-optimises `node:http`; timing right after it would
 *   inflate the floor), then `calls` timed calls: `process.cpuUsage()` of this process (JS, GC helper threads,
 *   syscalls) and wall time, per call.
 * - `alloc` (in a process started with a fixed 64 MB young generation, so that a batch's allocations sit in new
 *   space until the next scavenge): after a minor GC (which de-optimises nothing) the growth of the used heap over
 *   a batch is what it allocated; a batch that met a scavenge shows a shrinking heap and is dropped.
 *
 * Between batches the process is idle: the run measures one process at a time.
 */
import * as Path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as V8 from "node:v8"
import type { BenchClient, MakeClient } from "./clients/shared.js"

export type Request = { readonly id: string } & (
  | { readonly type: "cpu"; readonly inFlight: number; readonly calls: number; readonly warm: number }
  | { readonly type: "alloc"; readonly inFlight: number; readonly batch: number; readonly warm: number }
  | { readonly type: "close" }
)

export type Reply =
  | { readonly type: "ready" }
  | { readonly type: "cpu"; readonly cpu: number; readonly wall: number }
  | { readonly type: "alloc"; readonly bytesPerCall: ReadonlyArray<number> }
  | { readonly type: "closed" }

const gc = (globalThis as { gc?: (options?: { type: "minor" | "major" }) => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

const send = (reply: Reply) => process.send!(reply)

const cpuBatch = async (client: BenchClient, request: Extract<Request, { type: "cpu" }>) => {
  gc!()
  await client.run(request.warm, request.inFlight)
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  await client.run(request.calls, request.inFlight)
  const elapsed = Number(process.hrtime.bigint() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  send({ type: "cpu", cpu: (cpu.user + cpu.system) / request.calls, wall: elapsed / request.calls })
}

const allocBatch = async (client: BenchClient, request: Extract<Request, { type: "alloc" }>) => {
  await client.run(request.warm, request.inFlight)
  const bytesPerCall: Array<number> = []
  for (let tries = 0; bytesPerCall.length < 3 && tries < 10; tries++) {
    gc!({ type: "minor" })
    const before = V8.getHeapStatistics().used_heap_size
    await client.run(request.batch, request.inFlight)
    const grown = V8.getHeapStatistics().used_heap_size - before
    if (grown > 0) bytesPerCall.push(grown / request.batch)
  }
  send({ type: "alloc", bytesPerCall })
}

const load = async (id: string, base: string): Promise<BenchClient> => {
  const file = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "clients", `${id}.js`)
  const { make } = (await import(pathToFileURL(file).href)) as { make: MakeClient }
  return make(base)
}

const main = async () => {
  const [ids = "", base = "", warm = "0", inFlight = "1"] = process.argv.slice(2)
  const clients = new Map<string, BenchClient>()
  for (const id of ids.split(",")) {
    const client = await load(id, base)
    // Connections open and code compiled before anything is timed.
    await client.run(Number(warm), 1)
    await client.run(Number(warm), Number(inFlight))
    clients.set(id, client)
  }
  const close = async (id: string) => {
    await clients.get(id)?.close()
    clients.delete(id)
    // Whatever a client leaves open (a keep-alive timer) must not keep the process.
    if (clients.size === 0) process.send?.({ type: "closed" } satisfies Reply, () => process.exit(0))
    else send({ type: "closed" })
  }
  let queue = Promise.resolve()
  process.on("message", (request: Request) => {
    queue = queue.then(async () => {
      const client = clients.get(request.id)
      if (client === undefined) throw new Error(`no client ${request.id} in this process`)
      if (request.type === "cpu") await cpuBatch(client, request)
      else if (request.type === "alloc") await allocBatch(client, request)
      else await close(request.id)
    })
    queue.catch((error: unknown) => {
      process.stderr.write(`${request.id}: ${error instanceof Error ? error.stack : String(error)}\n`)
      process.exit(1)
    })
  })
  // The run ended (or failed): nothing more to measure.
  process.on("disconnect", () => process.exit(0))
  send({ type: "ready" })
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})

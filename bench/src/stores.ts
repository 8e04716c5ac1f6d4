/**
 * `pnpm bench:stores`: the token stores side by side — token reads and compare-and-set throughput, and the refresh
 * lease's acquire + release latency — for the memory store (the floor), the file store, SQLite, PostgreSQL and
 * Redis. Each store runs in a process of its own, several interleaved rounds (the order rotates every round), and
 * the table gives the median per-round figure with its min–max.
 *
 * The servers run on loopback with their durable settings: PostgreSQL as `initdb` makes it (fsync, synchronous
 * commit), Redis with an append-only file synced on every write (`appendfsync always`), SQLite in WAL mode as
 * `@effect/sql-sqlite-node` opens it (synchronous FULL), the file store syncing every record it writes. So a write
 * costs a disk sync everywhere but in memory, and the figures say as much about this machine's disk as about the
 * store.
 *
 * `pnpm bench:stores --quick` runs one short round (a smoke test of the harness, not a measurement).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as FileTokenStore from "@ultracart-oauth/adapters/FileTokenStore"
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as RedisTokenStore from "@ultracart-oauth/redis/RedisTokenStore"
import * as SqlTokenStore from "@ultracart-oauth/sql/SqlTokenStore"
import { DateTime, Effect, Layer, Option, Redacted, type Scope } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as RedisServer from "../../packages/redis/test/utils/RedisServer.js"
import * as PgServer from "../../packages/sql/test/utils/PgServer.js"

const STORES = ["memory", "file", "sqlite", "postgres", "redis"] as const
type StoreName = (typeof STORES)[number]

const LABELS: Record<StoreName, string> = {
  memory: "memory (floor)",
  file: "file (FileTokenStore)",
  sqlite: "SQLite (SqlTokenStore)",
  postgres: "PostgreSQL (SqlTokenStore)",
  redis: "Redis (RedisTokenStore)"
}

/** What a child process is told: its store, where the servers are, and how long to measure. */
interface ChildConfig {
  readonly store: StoreName
  readonly round: number
  readonly pgUrl: string
  readonly redisUrl: string
  /** CPU time each measurement is warmed up for. */
  readonly warmMillis: number
  readonly measureMillis: number
}

/** Operations per second (wall clock) and this process's CPU time per operation (the servers' is not in it). */
interface Rate {
  readonly perSecond: number
  readonly cpuMicros: number
}

interface ChildResult {
  readonly store: StoreName
  readonly reads: Rate
  readonly cas: Rate
  /** Acquire + release, one after the other; absent for a store without a lease (memory). */
  readonly lease: Rate | null
}

const IN_FLIGHT = 16
const KEYS_PER_FIBER = 4

const tokens = (n: number): Store.TokenSetInput => ({
  accessToken: Redacted.make(`access-token-${n}-${"x".repeat(40)}`),
  refreshToken: Option.some(Redacted.make(`refresh-token-${n}-${"y".repeat(40)}`)),
  expiresAt: DateTime.unsafeMake(1_900_000_000_000 + n),
  issuedAt: DateTime.unsafeMake(1_800_000_000_000 + n),
  scope: Option.some("order_read item_read")
})

// ---------------------------------------------------------------------------------------------------- the child

/** A store of the given kind, on a fresh place (a temporary directory, a fresh table, a fresh prefix). */
const storeOf = (config: ChildConfig): Effect.Effect<Store.TokenStore.Service, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "ultracart-bench-stores-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const tag = `bench_${process.pid}_${config.round}`
    const sqlStore = <E>(client: Layer.Layer<SqlClient.SqlClient, E>) =>
      Effect.flatMap(Layer.build(client), (context) => Effect.provide(SqlTokenStore.make({ table: tag }), context))
    switch (config.store) {
      case "memory":
        return Store.makeMemory()
      case "file":
        return yield* FileTokenStore.make({ directory: join(dir, "tokens") }).pipe(Effect.provide(NodeFileSystem.layer))
      case "sqlite":
        return yield* sqlStore(SqliteClient.layer({ filename: join(dir, "tokens.db") }))
      case "postgres":
        return yield* sqlStore(PgClient.layer({ url: Redacted.make(config.pgUrl), maxConnections: IN_FLIGHT }))
      case "redis":
        return yield* RedisTokenStore.make({ connection: { url: Redacted.make(config.redisUrl) }, prefix: `${tag}:` })
    }
  })

/** Runs `op` from `fibers` fibers for `millis`: completed operations per second, and CPU time per operation. */
const throughput = <E>(
  fibers: number,
  millis: number,
  op: (fiber: number, i: number) => Effect.Effect<void, E>
): Effect.Effect<Rate, E> =>
  Effect.gen(function* () {
    const cpu = process.cpuUsage()
    const started = performance.now()
    const deadline = started + millis
    let count = 0
    yield* Effect.forEach(
      Array.from({ length: fibers }, (_, f) => f),
      (f) =>
        Effect.gen(function* () {
          for (let i = 0; performance.now() < deadline; i++) {
            yield* op(f, i)
            count++
          }
        }),
      { concurrency: "unbounded", discard: true }
    )
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    return { perSecond: count / seconds, cpuMicros: (used.user + used.system) / count }
  })

/**
 * Warms `op` up until this process has spent `cpuMillis` of CPU on it (not wall time: on a loaded machine a
 * process may get a tenth of a core, and a JIT still cold costs 5–10× per operation), or for 20 s at most.
 */
const warmUp = <E>(fibers: number, cpuMillis: number, op: (fiber: number, i: number) => Effect.Effect<void, E>) =>
  Effect.gen(function* () {
    const cpu = process.cpuUsage()
    const cap = performance.now() + 20_000
    const spent = () => {
      const used = process.cpuUsage(cpu)
      return (used.user + used.system) / 1000
    }
    while (spent() < cpuMillis && performance.now() < cap) yield* throughput(fibers, 100, op)
  })

const measure = (config: ChildConfig): Effect.Effect<ChildResult, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const store = yield* storeOf(config)
    const keyOf = (fiber: number, i: number) => `merchant-${fiber}-${i % KEYS_PER_FIBER}`
    const versions = new Map<string, number>()
    for (let f = 0; f < IN_FLIGHT; f++) {
      for (let k = 0; k < KEYS_PER_FIBER; k++) {
        const saved = yield* store.save(keyOf(f, k), tokens(k))
        versions.set(keyOf(f, k), saved.version)
      }
    }
    const read = (f: number, i: number) => Effect.asVoid(store.load(keyOf(f, i)))
    // Each fiber writes only its own grants, so every compare-and-set is expected to win.
    const write = (f: number, i: number) => {
      const key = keyOf(f, i)
      return Effect.flatMap(store.compareAndSet(key, versions.get(key) ?? 0, tokens(i)), (result) =>
        result._tag === "Written"
          ? Effect.sync(() => void versions.set(key, result.tokens.version))
          : Effect.dieMessage(`unexpected conflict on ${key}`)
      )
    }
    yield* warmUp(IN_FLIGHT, config.warmMillis, read)
    const reads = yield* throughput(IN_FLIGHT, config.measureMillis, read)
    yield* warmUp(IN_FLIGHT, config.warmMillis, write)
    const cas = yield* throughput(IN_FLIGHT, config.measureMillis, write)
    let lease: Rate | null = null
    const take = store.lease
    if (take !== undefined) {
      const cycle = () => Effect.scoped(take("lease-bench"))
      yield* warmUp(1, config.warmMillis, cycle)
      lease = yield* throughput(1, config.measureMillis, cycle)
    }
    return { store: config.store, reads, cas, lease }
  })

// --------------------------------------------------------------------------------------------------- the parent

const log = (line: string) => process.stderr.write(`${line}\n`)

/** Runs this file as a child process (with the same loader flags) and parses its last line. */
const runChild = (config: ChildConfig): Promise<ChildResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), "--child", JSON.stringify(config)],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => (out += chunk))
    child.on("error", reject)
    child.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? ""
      if (code !== 0) reject(new Error(`the ${config.store} process exited with ${code}`))
      else resolve(JSON.parse(last) as ChildResult)
    })
  })

interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

const spread = (values: ReadonlyArray<number>): Spread => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! }
}

const format = (s: Spread, digits = 0): string =>
  `**${s.median.toFixed(digits)}** (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`

const table = (results: ReadonlyArray<ChildResult>): string => {
  const rows = STORES.map((store) => {
    const mine = results.filter((r) => r.store === store)
    const leases = mine.flatMap((r) => (r.lease === null ? [] : [r.lease]))
    const cells = [
      format(spread(mine.map((r) => r.reads.perSecond))),
      format(spread(mine.map((r) => r.reads.cpuMicros)), 1),
      format(spread(mine.map((r) => r.cas.perSecond))),
      format(spread(mine.map((r) => r.cas.cpuMicros)), 1),
      leases.length === 0 ? "—" : format(spread(leases.map((l) => 1_000_000 / l.perSecond))),
      leases.length === 0 ? "—" : format(spread(leases.map((l) => l.cpuMicros)))
    ]
    return `| ${LABELS[store]} | ${cells.join(" | ")} |`
  })
  return [
    `| store | reads / s (${IN_FLIGHT} in flight) | CPU µs / read | compare-and-set / s (${IN_FLIGHT} in flight) | CPU µs / CAS | lease acquire + release, µs | CPU µs / lease |`,
    "|---|---|---|---|---|---|---|",
    ...rows
  ].join("\n")
}

const parent = Effect.gen(function* () {
  const quick = process.argv.includes("--quick")
  const rounds = quick ? 1 : 5
  const redis = yield* RedisServer.make({ persistent: true })
  const pg = yield* PgServer.make({ durable: true })
  const results: Array<ChildResult> = []
  log(`token stores: ${rounds} interleaved rounds, each store in a process of its own`)
  for (let round = 0; round < rounds; round++) {
    const order = STORES.map((_, i) => STORES[(i + round) % STORES.length]!)
    for (const store of order) {
      const config: ChildConfig = {
        store,
        round,
        pgUrl: Redacted.value(pg.url),
        redisUrl: Redacted.value(redis.url),
        warmMillis: quick ? 100 : 1_000,
        measureMillis: quick ? 300 : 2_000
      }
      const result = yield* Effect.promise(() => runChild(config))
      const lease = result.lease === null ? "—" : `${(1_000_000 / result.lease.perSecond).toFixed(0)} µs`
      log(
        `  round ${round + 1} ${store}: ${result.reads.perSecond.toFixed(0)} reads/s, ` +
          `${result.cas.perSecond.toFixed(0)} CAS/s, lease ${lease}`
      )
      results.push(result)
    }
  }
  console.log(table(results))
})

const childIndex = process.argv.indexOf("--child")
if (childIndex >= 0) {
  const config = JSON.parse(process.argv[childIndex + 1] ?? "{}") as ChildConfig
  Effect.runPromise(Effect.scoped(measure(config))).then(
    (result) => {
      console.log(JSON.stringify(result))
      process.exit(0)
    },
    (error: unknown) => {
      console.error(String(error))
      process.exit(1)
    }
  )
} else {
  // runMain: an interrupt (Ctrl-C, SIGTERM) still stops the servers and removes their directories.
  NodeRuntime.runMain(Effect.scoped(parent))
}

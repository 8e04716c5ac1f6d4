/**
 * One measurement of the grant registry, in a process of its own (run with --expose-gc); prints one JSON line.
 * `argv[2]` is the mode:
 *
 * - `manager`: `TokenManager.tokens` on a warm single-grant manager (the floor), CPU per call;
 * - `registry`: `MerchantGrants.tokens(key)` for a warm merchant among 10,000 stored, CPU per call;
 * - `cold`: the first use of each of 2,000 merchants never used before (store read, manager and client made);
 * - `memory`: the heap with 10,000 merchants stored and none in use, with 1,000 in use, and after they were let go.
 *
 * No request leaves the process: every token is fresh (the OAuth client points at a port nobody listens on).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as V8 from "node:v8"
import { answer } from "./answer.js"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")
const usedHeap = () => {
  gc()
  return V8.getHeapStatistics().used_heap_size
}

const KNOWN = 10_000
const ACTIVE = 1_000
const CALLS = 500_000
const COLD = 2_000
const BASE_URL = "http://127.0.0.1:9/rest/v2"
const key = (i: number) => `M${String(i).padStart(5, "0")}`

const store = TokenStore.makeMemory()
const fill = (count: number) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => i),
    (i) => {
      const now = DateTime.unsafeNow()
      return store.save(key(i), {
        accessToken: Redacted.make(`access-token-of-merchant-${i}-${"x".repeat(40)}`),
        refreshToken: Option.some(Redacted.make(`refresh-token-of-merchant-${i}-${"y".repeat(40)}`)),
        expiresAt: DateTime.add(now, { hours: 1 }),
        issuedAt: now,
        scope: Option.some("order_read item_read")
      })
    },
    { discard: true }
  )

const oauth = OAuthClient.layer({ clientId: "bench-app", baseUrl: BASE_URL }).pipe(Layer.provide(FetchHttpClient.layer))
const base = Layer.mergeAll(oauth, Layer.succeed(TokenStore.TokenStore, store), FetchHttpClient.layer)
const registry = (idleTimeToLive: Duration.DurationInput) =>
  MerchantGrants.layer({ api: { baseUrl: BASE_URL }, idleTimeToLive }).pipe(Layer.provideMerge(base))

/** CPU microseconds per run of `effect`, over CALLS runs after a warm-up. */
const cpuPerCall = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    yield* Effect.repeatN(effect, 50_000)
    const c0 = process.cpuUsage()
    yield* Effect.repeatN(effect, CALLS - 1)
    const cpu = process.cpuUsage(c0)
    return { microsPerCall: (cpu.user + cpu.system) / CALLS }
  })

const modes: Record<string, Effect.Effect<unknown, unknown>> = {
  manager: Effect.gen(function* () {
    yield* fill(1)
    const manager = yield* TokenManager.make({ key: key(0) })
    return yield* cpuPerCall(manager.tokens)
  }).pipe(Effect.provide(base), Effect.scoped),

  registry: Effect.gen(function* () {
    yield* fill(KNOWN)
    const grants = yield* MerchantGrants.MerchantGrants
    return yield* cpuPerCall(grants.tokens(key(0)))
  }).pipe(Effect.provide(registry("5 minutes")), Effect.scoped),

  cold: Effect.gen(function* () {
    yield* fill(KNOWN)
    const grants = yield* MerchantGrants.MerchantGrants
    yield* grants.tokens(key(KNOWN - 1))
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < COLD; i++) yield* grants.tokens(key(i))
    const cpu = process.cpuUsage(c0)
    return {
      microsPerCall: (cpu.user + cpu.system) / COLD,
      wallMicrosPerCall: ((performance.now() - t0) * 1000) / COLD
    }
  }).pipe(Effect.provide(registry("5 minutes")), Effect.scoped),

  memory: Effect.gen(function* () {
    yield* fill(KNOWN)
    const storeOnly = usedHeap()
    const grants = yield* MerchantGrants.MerchantGrants
    yield* grants.list({ limit: 1000 })
    const known = usedHeap()
    /** 1,000 merchants in use, then idle for more than twice the idle time: every manager let go. */
    const round = (first: number) =>
      Effect.gen(function* () {
        for (let i = first; i < first + ACTIVE; i++) yield* grants.tokens(key(i))
        const active = usedHeap()
        yield* Effect.sleep("1200 millis")
        return { active, released: usedHeap() }
      })
    // Five rounds with other merchants each: what is left behind per merchant once caches are warm (the first
    // rounds warm up the runtime's and V8's own caches).
    const rounds = []
    for (let r = 0; r < 5; r++) rounds.push(yield* round(r * ACTIVE))
    return {
      knownBytesPerGrant: (known - storeOnly) / KNOWN,
      activeBytesPerGrant: (rounds[0]!.active - known) / ACTIVE,
      releasedBytesPerGrant: (rounds[4]!.released - rounds[2]!.released) / (2 * ACTIVE)
    }
  }).pipe(Effect.provide(registry("500 millis")), Effect.scoped)
}

const mode = modes[process.argv[2] ?? ""]
if (mode === undefined) throw new Error(`mode: one of ${Object.keys(modes).join(", ")}`)
answer(mode)

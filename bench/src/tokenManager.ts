/**
 * The token manager, against the loopback token server (argv[2] is its base URL, argv[3] a JSON `{ callers,
 * reads, readRounds, heapCalls }` to scale it down for a smoke run):
 *
 * - `callers` fibers ask at once for the token of a grant whose access token has expired: the requests that reach
 *   the server are counted (exactly one refresh is the requirement), and every caller must get the new token.
 * - The cached read: on the warm manager, `readRounds` interleaved rounds of `reads` sequential `tokens` reads,
 *   `accessToken` reads, and — the loop's own cost — the same loop over an effect that only returns a value,
 *   each in one fiber, CPU per read.
 * - `heapCalls` sequential `accessToken` calls on the valid token: the used heap after a full GC, sampled every
 *   tenth of them, must stay flat.
 *
 * Prints one JSON line.
 */
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as V8 from "node:v8"
import { answer } from "./answer.js"
import { CLIENT_ID, TOKEN_BODY } from "./fixtures.js"
import { spread } from "./stats.js"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

export interface TokenManagerScale {
  readonly callers: number
  readonly reads: number
  readonly readRounds: number
  readonly heapCalls: number
}

export const fullScale: TokenManagerScale = { callers: 10_000, reads: 200_000, readRounds: 7, heapCalls: 1_000_000 }

const served = (JSON.parse(TOKEN_BODY) as { access_token: string }).access_token
const baseUrl = process.argv[2] ?? ""
const scale: TokenManagerScale = { ...fullScale, ...(JSON.parse(process.argv[3] ?? "{}") as object) }

let requests = 0
const store = TokenStore.makeMemory()
const live = TokenManager.layer().pipe(
  Layer.provide(
    OAuthClient.layer({
      clientId: CLIENT_ID,
      baseUrl,
      // Counts what leaves for the server (a refresh is the only request this program can make).
      transformClient: HttpClient.tapRequest(() => Effect.sync(() => requests++))
    })
  ),
  Layer.provide(Layer.succeed(TokenStore.TokenStore, store)),
  Layer.provide(NodeTransport.layer())
)

const usedHeap = () => {
  gc!()
  return V8.getHeapStatistics().used_heap_size
}

/** `n` runs of `effect` in sequence in the current fiber, each step one `flatMap` (as a program composes it). */
const times = <A, E>(effect: Effect.Effect<A, E>, n: number): Effect.Effect<void, E> =>
  n <= 0 ? Effect.void : Effect.flatMap(effect, () => times(effect, n - 1))

/** CPU µs per run of `effect`, over `n` runs. */
const cpuPerRun = <A, E>(effect: Effect.Effect<A, E>, n: number) =>
  Effect.suspend(() => {
    const c0 = process.cpuUsage()
    return Effect.map(times(effect, n), () => {
      const cpu = process.cpuUsage(c0)
      return (cpu.user + cpu.system) / n
    })
  })

const singleFlight = (manager: TokenManager.TokenManager.Service) =>
  Effect.gen(function* () {
    const t0 = performance.now()
    const tokens = yield* Effect.all(
      Array.from({ length: scale.callers }, () => manager.accessToken),
      { concurrency: "unbounded" }
    )
    return {
      callers: scale.callers,
      refreshRequests: requests,
      callersWithNewToken: tokens.filter((token) => Redacted.value(token) === served).length,
      concurrentMs: performance.now() - t0
    }
  })

const cachedReads = (manager: TokenManager.TokenManager.Service) =>
  Effect.gen(function* () {
    const value = Effect.succeed(1)
    const kinds: Record<"tokens" | "accessToken" | "loopOnly", Effect.Effect<unknown, unknown>> = {
      tokens: manager.tokens,
      accessToken: manager.accessToken,
      loopOnly: value
    }
    const samples: Record<keyof typeof kinds, Array<number>> = { tokens: [], accessToken: [], loopOnly: [] }
    const names = Object.keys(kinds) as Array<keyof typeof kinds>
    // Warm: compiled before anything is timed.
    for (const name of names) yield* times(kinds[name], scale.reads)
    for (let round = 0; round < scale.readRounds; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length]!
        gc!()
        samples[name].push(yield* cpuPerRun(kinds[name], scale.reads))
      }
    }
    return {
      reads: scale.reads,
      rounds: scale.readRounds,
      tokensMicros: spread(samples.tokens),
      accessTokenMicros: spread(samples.accessToken),
      loopMicros: spread(samples.loopOnly)
    }
  })

const heapFlat = (manager: TokenManager.TokenManager.Service) =>
  Effect.gen(function* () {
    const every = Math.max(1, Math.floor(scale.heapCalls / 10))
    const heap: Array<number> = [usedHeap()]
    const c0 = process.cpuUsage()
    for (let done = 0; done < scale.heapCalls; done += every) {
      yield* times(manager.accessToken, every)
      heap.push(usedHeap())
    }
    const cpu = process.cpuUsage(c0)
    return {
      calls: scale.heapCalls,
      // Includes the ten forced GCs of the sampling.
      cpuMicrosPerCall: (cpu.user + cpu.system) / scale.heapCalls,
      heapSamplesBytes: heap,
      heapGrowthBytes: heap[heap.length - 1]! - heap[1]!
    }
  })

const program = Effect.gen(function* () {
  // A grant whose access token expired a minute ago, with a refresh token.
  const now = DateTime.unsafeNow()
  yield* store.save(CLIENT_ID, {
    accessToken: Redacted.make("expired-access-token"),
    refreshToken: Option.some(Redacted.make("refresh-token-1")),
    expiresAt: DateTime.subtract(now, { minutes: 1 }),
    issuedAt: DateTime.subtract(now, { hours: 1 }),
    scope: Option.none()
  })
  const manager = yield* TokenManager.TokenManager
  const concurrent = yield* singleFlight(manager)
  const reads = yield* cachedReads(manager)
  const heap = yield* heapFlat(manager)
  return { ...concurrent, cachedRead: reads, heap }
})

export type TokenManagerResult = Effect.Effect.Success<typeof program>

if (baseUrl !== "") {
  answer(Effect.scoped(Effect.flatMap(Layer.build(live), (context) => Effect.provide(program, context))))
}

/**
 * The token manager under load, against the loopback token server (argv[2] is its base URL):
 *
 * - 10,000 callers ask at once for the token of a grant whose access token has expired: the requests that reach
 *   the server are counted (exactly one refresh is the requirement), and every caller must get the new token.
 * - 1,000,000 sequential `accessToken` calls on the valid token: the used heap after a full GC is sampled every
 *   100,000 calls; it must stay flat.
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
import { CLIENT_ID, TOKEN_BODY } from "./fixtures.js"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

const CALLERS = 10_000
const CALLS = 1_000_000
const SAMPLE_EVERY = 100_000
const served = (JSON.parse(TOKEN_BODY) as { access_token: string }).access_token

const baseUrl = process.argv[2] ?? ""
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
  gc()
  return V8.getHeapStatistics().used_heap_size
}

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

  const t0 = performance.now()
  const tokens = yield* Effect.all(
    Array.from({ length: CALLERS }, () => manager.accessToken),
    {
      concurrency: "unbounded"
    }
  )
  const concurrentMs = performance.now() - t0
  const fresh = tokens.filter((token) => Redacted.value(token) === served).length

  const heap: Array<number> = [usedHeap()]
  const c0 = process.cpuUsage()
  const t1 = performance.now()
  for (let done = 0; done < CALLS; done += SAMPLE_EVERY) {
    yield* Effect.repeatN(manager.accessToken, SAMPLE_EVERY - 1)
    heap.push(usedHeap())
  }
  const wallMs = performance.now() - t1
  const cpu = process.cpuUsage(c0)
  return {
    callers: CALLERS,
    refreshRequests: requests,
    callersWithNewToken: fresh,
    concurrentMs,
    calls: CALLS,
    // Includes the ten forced GCs of the sampling.
    cpuMicrosPerCall: (cpu.user + cpu.system) / CALLS,
    wallMicrosPerCall: (wallMs * 1000) / CALLS,
    heapSamplesBytes: heap,
    heapGrowthBytes: heap[heap.length - 1]! - heap[1]!
  }
})

Effect.runPromise(Effect.scoped(Effect.flatMap(Layer.build(live), (context) => Effect.provide(program, context)))).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    process.exit(0)
  },
  (error) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)

/**
 * `Timeouts.transformClient` directly over this package's transports, against real loopback sockets: the transport
 * keeps both deadlines with its own timers (live clock), with the same errors as the generic way, reads the body
 * into the response it hands back, and stops the exchange when a deadline passes. (Under a `TestClock` and over
 * other clients the deadlines go through `Effect.timeoutFail`: `Timeouts.test.ts`, `AuthDeadlines.test.ts`.)
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Credentials } from "@ultracart-oauth/core"
import { Chunk, Deferred, Duration, Effect, Either, Exit, Fiber, Redacted, Stream, Supervisor } from "effect"
import * as Auth from "../src/Auth.js"
import { isBuffered } from "../src/internal/lean.js"
import * as NodeTransport from "../src/NodeTransport.js"
import * as Retry from "../src/Retry.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import * as Timeouts from "../src/Timeouts.js"
import * as LoopbackServer from "./utils/LoopbackServer.js"
import { transports } from "./utils/transports.js"

interface Server {
  readonly url: string
  /** Paths of the requests that reached the server, in order. */
  readonly paths: Array<string>
  /** Completes when the client closes the connection of a request to `/hang…`. */
  readonly aborted: Deferred.Deferred<void>
}

/** Every byte value once: a body no text decoding may touch. */
const BYTES = Uint8Array.from({ length: 256 }, (_, i) => i)

/**
 * `/hang` never answers; `/hang-body` sends its head and half its body, then stops; `/bytes` answers {@link BYTES};
 * `/once-hang` hangs the first time and answers `{"ok":true}` after; `/once-503` answers 503 the first time;
 * anything else answers `{"ok":true}`.
 */
const server = Effect.gen(function* () {
  const aborted = yield* Deferred.make<void>()
  const paths: Array<string> = []
  const url = yield* LoopbackServer.listen((req, res) => {
    req.resume()
    req.on("end", () => {
      const path = req.url ?? ""
      paths.push(path)
      if (path.startsWith("/hang") || (path === "/once-hang" && paths.filter((p) => p === path).length === 1)) {
        res.on("close", () => Deferred.unsafeDone(aborted, Effect.void))
        if (path.startsWith("/hang-body")) {
          res.writeHead(200, { "content-type": "text/plain", "content-length": "100" })
          res.write("half")
        }
        return
      }
      if (path === "/once-503" && paths.filter((p) => p === path).length === 1) {
        res.writeHead(503, { "content-type": "text/plain" })
        res.end("busy")
        return
      }
      if (path === "/bytes") {
        res.writeHead(200, { "content-type": "application/octet-stream" })
        res.end(BYTES)
        return
      }
      res.writeHead(200, { "content-type": "application/json" })
      res.end('{"ok":true}')
    })
  })
  return { url, paths, aborted } satisfies Server
})

const short = Timeouts.make({ requestTimeout: "150 millis", bodyTimeout: "150 millis" })

/** The client under `timeouts`, over the transport in context. */
const timed = (timeouts: Timeouts.Timeouts) => Effect.map(HttpClient.HttpClient, Timeouts.transformClient(timeouts))

const failureOf = <A>(exit: Exit.Exit<A, unknown>) => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected a typed failure")
  const error = exit.cause.error
  if (!HttpClientError.isHttpClientError(error)) throw new Error("expected an HttpClientError")
  return error
}

describe.each(transports)("Timeouts over %s, kept by the transport", (_name, transport) => {
  it.live("a head that does not come fails the call with the head deadline, and the request is stopped", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* timed(short)
      const error = failureOf(yield* Effect.exit(client.get(`${s.url}/hang`)))
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      expect(error.cause).toBeInstanceOf(Timeouts.DeadlineExceeded)
      expect(error.cause).toMatchObject({ phase: "Response", timeoutMillis: 150 })
      expect(error.description).toBe("no response within 150ms")
      yield* Deferred.await(s.aborted)
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("a body that does not end fails the call with the body deadline and its response, and is stopped", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* timed(short)
      const error = failureOf(yield* Effect.exit(client.get(`${s.url}/hang-body`)))
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect((error as HttpClientError.ResponseError).response.status).toBe(200)
      expect(error.cause).toMatchObject({ _tag: "DeadlineExceeded", phase: "Body", timeoutMillis: 150 })
      yield* Deferred.await(s.aborted)
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("hands back the body read whole: every way of reading it answers from memory, bytes intact", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* timed(short)
      const response: HttpClientResponse.HttpClientResponse = yield* client.get(`${s.url}/bytes`)
      expect(isBuffered(response)).toBe(true)
      expect(new Uint8Array(yield* response.arrayBuffer)).toEqual(BYTES)
      const streamed = Chunk.toReadonlyArray(yield* Stream.runCollect(response.stream))
      expect(Uint8Array.from(streamed.flatMap((chunk) => [...chunk]))).toEqual(BYTES)
      expect(new Uint8Array(yield* response.arrayBuffer)).toEqual(BYTES)
      const json = yield* client.get(`${s.url}/ok`)
      expect(yield* json.json).toEqual({ ok: true })
      expect(yield* json.text).toBe('{"ok":true}')
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("with the body deadline off, hands back the head while the body is still coming", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* timed(Timeouts.make({ requestTimeout: "150 millis", bodyTimeout: Duration.infinity }))
      const response = yield* client.get(`${s.url}/hang-body`)
      expect(response.status).toBe(200)
      expect(isBuffered(response)).toBe(false)
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("Retry over it takes a head deadline as a lost attempt and repeats a GET", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = Retry.transformClient(RetryPolicy.make({ baseDelay: "10 millis", jitter: 0 }))(yield* timed(short))
      const response = yield* client.get(`${s.url}/once-hang`)
      expect(yield* response.json).toEqual({ ok: true })
      expect(s.paths).toEqual(["/once-hang", "/once-hang"])
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )
})

it.live("over a client that is not one of this package's transports, the same deadlines the generic way", () =>
  Effect.gen(function* () {
    const s = yield* server
    // A transform makes a new client: the transport's timers are not used under another's middleware.
    const client = yield* Effect.map(HttpClient.HttpClient, (transport) =>
      Timeouts.transformClient(short)(HttpClient.mapRequest(transport, (request) => request))
    )
    const error = failureOf(yield* Effect.exit(client.get(`${s.url}/hang`)))
    expect(error.cause).toMatchObject({ _tag: "DeadlineExceeded", phase: "Response", timeoutMillis: 150 })
    const response = yield* client.get(`${s.url}/ok`)
    expect(isBuffered(response)).toBe(false)
    expect(yield* response.json).toEqual({ ok: true })
  }).pipe(Effect.provide(NodeTransport.layer()), Effect.scoped)
)

/** Counts the fibers started under it. */
class ForkCount extends Supervisor.AbstractSupervisor<number> {
  count = 0
  value = Effect.sync(() => this.count)
  override onStart() {
    this.count++
  }
}

/** Runs `effect` and answers how many fibers it forked. */
const forksOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const forks = new ForkCount()
    const exit = yield* Effect.exit(Effect.supervised(effect, forks))
    return { exit, forks: forks.count }
  })

const quickRetries = RetryPolicy.make({ baseDelay: "10 millis", jitter: 0 })

/**
 * The API client's stack: `outer` deadlines (the `Auth` client's: the head one over the whole call) over `Retry`
 * over per-attempt deadlines over the transport in context.
 */
const production = (outer: Timeouts.Timeouts, perAttempt: Timeouts.Timeouts, policy = quickRetries) =>
  Effect.map(HttpClient.HttpClient, (transport) =>
    Timeouts.transformClient(outer)(Retry.transformClient(policy)(Timeouts.transformClient(perAttempt)(transport)))
  )

const roomy = Timeouts.make({ requestTimeout: "10 seconds", bodyTimeout: "10 seconds" })

describe.each(transports)("Timeouts over Retry over Timeouts over %s", (_name, transport) => {
  it.live("a first attempt that succeeds is sent with the transport's timers: no fiber forked", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* production(roomy, short)
      const { exit, forks } = yield* forksOf(Effect.flatMap(client.get(`${s.url}/ok`), (r) => r.json))
      expect(exit).toEqual(Exit.succeed({ ok: true }))
      expect(forks).toBe(0)
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("through Auth's client too (its deadlines over Retry over per-attempt deadlines): no fiber forked", () =>
    Effect.gen(function* () {
      const s = yield* server
      const auth = Either.getOrThrow(
        Auth.transformClient(Credentials.simpleKey(Redacted.make("k")), { baseUrl: s.url })
      )
      const client = auth(
        Retry.transformClient(quickRetries)(Timeouts.transformClient(short)(yield* HttpClient.HttpClient))
      )
      const { exit, forks } = yield* forksOf(Effect.flatMap(client.get("/ok"), (r) => r.json))
      expect(exit).toEqual(Exit.succeed({ ok: true }))
      expect(forks).toBe(0)
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("a first attempt past its own head deadline is retried within the outer one, and the retry answers", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* production(roomy, short)
      const response = yield* client.get(`${s.url}/once-hang`)
      expect(yield* response.json).toEqual({ ok: true })
      expect(s.paths).toEqual(["/once-hang", "/once-hang"])
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("a retryable status on the first attempt is retried, and the retry answers", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* production(roomy, short)
      const response = yield* client.get(`${s.url}/once-503`)
      expect(response.status).toBe(200)
      expect(yield* response.json).toEqual({ ok: true })
      expect(s.paths).toEqual(["/once-503", "/once-503"])
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("the outer head deadline ends the retries, with its own error", () =>
    Effect.gen(function* () {
      const s = yield* server
      const outer = Timeouts.make({ requestTimeout: "400 millis", bodyTimeout: "10 seconds" })
      const client = yield* production(outer, Timeouts.make({ requestTimeout: "100 millis", bodyTimeout: "1 second" }))
      const error = failureOf(yield* Effect.exit(client.get(`${s.url}/hang`)))
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      expect(error.cause).toMatchObject({ _tag: "DeadlineExceeded", phase: "Response", timeoutMillis: 400 })
      expect(error.description).toBe("no response within 400ms")
      expect(s.paths.length).toBeGreaterThanOrEqual(2)
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("the outer head deadline passing in the first attempt ends the call: no retry, the request stopped", () =>
    Effect.gen(function* () {
      const s = yield* server
      // Retries at once: one that started after the deadline passed would be sent before the call failed.
      const client = yield* production(short, roomy, RetryPolicy.make({ baseDelay: Duration.zero, jitter: 0 }))
      const error = failureOf(yield* Effect.exit(client.get(`${s.url}/hang`)))
      expect(error.cause).toMatchObject({ _tag: "DeadlineExceeded", phase: "Response", timeoutMillis: 150 })
      yield* Deferred.await(s.aborted)
      yield* Effect.sleep("50 millis")
      expect(s.paths).toEqual(["/hang"])
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("the outer head deadline bounds the first attempt's body too (it bounds the whole call)", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* production(short, roomy)
      const error = failureOf(yield* Effect.exit(client.get(`${s.url}/hang-body`)))
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      expect(error.cause).toMatchObject({ _tag: "DeadlineExceeded", phase: "Response", timeoutMillis: 150 })
      yield* Deferred.await(s.aborted)
      expect(s.paths).toEqual(["/hang-body"])
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("a body past the attempt's body deadline is a lost attempt: retried, and its error when retries end", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* production(roomy, Timeouts.make({ requestTimeout: "1 second", bodyTimeout: "50 millis" }))
      const error = failureOf(yield* Effect.exit(client.get(`${s.url}/hang-body`)))
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect(error.cause).toMatchObject({ _tag: "DeadlineExceeded", phase: "Body", timeoutMillis: 50 })
      expect(s.paths).toEqual(Array(quickRetries.maxAttempts).fill("/hang-body"))
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )

  it.live("interrupting a call in its first attempt stops the request", () =>
    Effect.gen(function* () {
      const s = yield* server
      const client = yield* production(roomy, roomy)
      const fiber = yield* Effect.fork(client.get(`${s.url}/hang`))
      while (s.paths.length === 0) yield* Effect.sleep("5 millis")
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(s.aborted)
      expect(s.paths).toEqual(["/hang"])
    }).pipe(Effect.provide(transport()), Effect.scoped)
  )
})

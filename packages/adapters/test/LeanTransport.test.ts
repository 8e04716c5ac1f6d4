/**
 * The lean transports against real loopback sockets: what they send and read, that an interrupted call aborts its
 * request, and that traced, streamed and scoped requests still go through the platform's client.
 */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it, vi } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import * as OAuthTransport from "@ultracart-oauth/core/OAuthTransport"
import { Chunk, Deferred, Duration, Effect, Fiber, Layer, Option, Predicate, Redacted, Stream, Tracer } from "effect"
import type * as Http from "node:http"
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import * as FetchTransport from "../src/FetchTransport.js"
import * as Timeouts from "../src/Timeouts.js"
import * as LoopbackServer from "./utils/LoopbackServer.js"
import { transports } from "./utils/transports.js"

interface Seen {
  readonly method: string
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

interface Server {
  readonly url: string
  readonly seen: Array<Seen>
  /** Completes when a request to `/hang…` has arrived (its answer never comes, or stops half way). */
  readonly hanging: Deferred.Deferred<void>
  /** Completes when the connection of a `/hang…` request is closed by the client. */
  readonly aborted: Deferred.Deferred<void>
}

/**
 * `/echo` answers JSON with a cookie; `/redirect` answers 307 to `/echo`; `/hang…` never answers; `/hang-body…`
 * sends its head and half a body, then stops; `/cut…` sends its head and half a body, then drops the connection.
 */
const server = Effect.gen(function* () {
  const hanging = yield* Deferred.make<void>()
  const aborted = yield* Deferred.make<void>()
  const seen: Array<Seen> = []
  const url = yield* LoopbackServer.listen((req, res) => {
    let body = ""
    req.setEncoding("utf8")
    req.on("data", (chunk: string) => {
      body += chunk
    })
    req.on("end", () => {
      const path = req.url ?? ""
      seen.push({ method: req.method ?? "", path, headers: req.headers, body })
      if (path.startsWith("/hang")) {
        res.on("close", () => Deferred.unsafeDone(aborted, Effect.void))
        if (path.startsWith("/hang-body")) {
          res.writeHead(200, { "content-type": "text/plain", "content-length": "100" })
          res.write("half")
        }
        Deferred.unsafeDone(hanging, Effect.void)
        return
      }
      if (path.startsWith("/cut")) {
        // The head and half the body, then the connection is dropped.
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" })
        res.write('{"access_token":', () => res.destroy())
        return
      }
      if (path === "/redirect") {
        res.writeHead(307, { location: "/echo" })
        res.end()
        return
      }
      res.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] })
      res.end(JSON.stringify({ method: req.method, body }))
    })
  })
  return { url, seen, hanging, aborted } satisfies Server
})

/** The responses registered with a `FinalizationRegistry` (to be stopped if dropped unread) while `effect` runs. */
const watchedResponses = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => vi.spyOn(FinalizationRegistry.prototype, "register")),
    (spy) =>
      Effect.map(
        effect,
        () => spy.mock.calls.filter(([target]) => Predicate.hasProperty(target, HttpClientResponse.TypeId)).length
      ),
    (spy) => Effect.sync(() => spy.mockRestore())
  )

/** A full garbage collection, in a process started without `--expose-gc`. */
const collectGarbage = (): void => {
  V8.setFlagsFromString("--expose-gc")
  const gc: unknown = Vm.runInNewContext("gc")
  if (typeof gc !== "function") throw new Error("no gc() even with --expose-gc")
  gc()
}

/** A tracer that records the names of the spans it is given. */
const recording = () => {
  const names: Array<string> = []
  const layer = Layer.unwrapEffect(
    Effect.map(Effect.tracer, (native) =>
      Layer.setTracer(
        Tracer.make({
          span: (name, ...rest) => {
            names.push(name)
            return native.span(name, ...rest)
          },
          context: (f) => f()
        })
      )
    )
  )
  return { names, layer }
}

/**
 * Starts `send` on a request to `path` (which hangs), interrupts it once the server has the request, and waits for
 * the server to see the connection go: the request was aborted, not abandoned.
 */
const abortsWhenInterrupted = (
  path: string,
  send: (client: HttpClient.HttpClient, request: HttpClientRequest.HttpClientRequest) => Effect.Effect<unknown, unknown>
) =>
  Effect.gen(function* () {
    const { aborted, hanging, url } = yield* server
    const call = yield* Effect.fork(send(yield* HttpClient.HttpClient, HttpClientRequest.get(`${url}${path}`)))
    yield* Deferred.await(hanging)
    yield* Fiber.interrupt(call)
    yield* Deferred.await(aborted)
  })

for (const [name, transport] of transports) {
  describe(name, () => {
    it.scopedLive("sends method, headers and body; reads status, headers, cookies and the body (twice)", () =>
      Effect.gen(function* () {
        const { seen, url } = yield* server
        const client = yield* HttpClient.HttpClient
        const response = yield* client.execute(
          HttpClientRequest.post(`${url}/echo`, { urlParams: { q: "1 2" }, headers: { "x-test": "yes" } }).pipe(
            HttpClientRequest.bodyText("grant_type=x", "application/x-www-form-urlencoded")
          )
        )
        expect(response.status).toBe(200)
        expect(response.headers["content-type"]).toBe("application/json")
        expect(response.cookies.cookies).toMatchObject({ a: { value: "1" }, b: { value: "2" } })
        expect(yield* response.json).toEqual({ method: "POST", body: "grant_type=x" })
        expect(yield* response.text).toBe(JSON.stringify({ method: "POST", body: "grant_type=x" }))
        expect(seen[0]).toMatchObject({ method: "POST", path: "/echo?q=1+2", body: "grant_type=x" })
        expect(seen[0]!.headers).toMatchObject({
          "x-test": "yes",
          "content-type": "application/x-www-form-urlencoded",
          "content-length": "12"
        })
      }).pipe(Effect.provide(transport()))
    )

    it.scopedLive("streams a response body", () =>
      Effect.gen(function* () {
        const { url } = yield* server
        const client = yield* HttpClient.HttpClient
        const response = yield* client.get(`${url}/echo`)
        const chunks = yield* Stream.runCollect(response.stream)
        const text = new TextDecoder().decode(Buffer.concat(Chunk.toReadonlyArray(chunks)))
        expect(JSON.parse(text)).toEqual({ method: "GET", body: "" })
      }).pipe(Effect.provide(transport()))
    )

    it.scopedLive("sends a streamed request body (through the platform's client)", () =>
      Effect.gen(function* () {
        const { seen, url } = yield* server
        const client = yield* HttpClient.HttpClient
        const body = HttpBody.stream(Stream.make("one,", "two").pipe(Stream.encodeText), "text/plain")
        const response = yield* client.execute(HttpClientRequest.post(`${url}/echo`, { body }))
        expect(response.status).toBe(200)
        expect(seen[0]?.body).toBe("one,two")
      }).pipe(Effect.provide(transport()))
    )

    it.scopedLive("an interrupted call aborts its request", () =>
      abortsWhenInterrupted("/hang", (client, request) => client.execute(request)).pipe(Effect.provide(transport()))
    )

    it.scopedLive("an interrupted body read aborts the exchange", () =>
      Effect.gen(function* () {
        const { aborted, hanging, url } = yield* server
        const client = yield* HttpClient.HttpClient
        const response = yield* client.get(`${url}/hang-body`)
        expect(response.status).toBe(200)
        yield* Deferred.await(hanging)
        const read = yield* Effect.fork(response.text)
        // Let the read start (and wait for the rest of the body) before interrupting it.
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(read)
        yield* Deferred.await(aborted)
      }).pipe(Effect.provide(transport()))
    )

    it.scopedLive("only a response handed back with its body unread is watched for being dropped unread", () =>
      Effect.gen(function* () {
        const { url } = yield* server
        const client = yield* HttpClient.HttpClient
        const read = (c: HttpClient.HttpClient.With<unknown>) => Effect.flatMap(c.get(`${url}/echo`), (r) => r.json)
        // fetch releases an unread body's connection by itself; a Node transport's would be held.
        expect(yield* watchedResponses(read(client))).toBe(name.startsWith("NodeTransport") ? 1 : 0)
        // Under Timeouts the body is read whole before the send answers: nothing is left unread.
        expect(yield* watchedResponses(read(Timeouts.transformClient(Timeouts.defaults)(client)))).toBe(0)
        // An OAuth call reads its body whole too (the answer here is not a token: the call fails, once it is read).
        const oauth = yield* OAuthClient.make({ clientId: "client-1", baseUrl: url })
        expect(yield* watchedResponses(Effect.either(oauth.refresh({ refreshToken: Redacted.make("rt") })))).toBe(0)
      }).pipe(Effect.provide(transport()))
    )

    if (name.startsWith("NodeTransport")) {
      it.scopedLive("a response dropped with its body unread has its exchange stopped once it is collected", () =>
        Effect.gen(function* () {
          const { aborted, hanging, url } = yield* server
          const client = yield* HttpClient.HttpClient
          // Only the status leaves this effect: the response itself is dropped, its body (half sent) unread.
          const status = yield* Effect.map(client.get(`${url}/hang-body`), (response) => response.status)
          expect(status).toBe(200)
          yield* Deferred.await(hanging)
          for (let i = 0; i < 50 && !(yield* Deferred.isDone(aborted)); i++) {
            collectGarbage()
            yield* Effect.sleep(Duration.millis(20))
          }
          expect(yield* Deferred.isDone(aborted)).toBe(true)
        }).pipe(Effect.provide(transport()))
      )
    }

    it.scopedLive("does not follow a redirect", () =>
      Effect.gen(function* () {
        const { seen, url } = yield* server
        const client = yield* HttpClient.HttpClient
        const response = yield* client.get(`${url}/redirect`)
        expect(response.status).toBe(307)
        expect(response.headers.location).toBe("/echo")
        expect(seen.map((s) => s.path)).toEqual(["/redirect"])
      }).pipe(Effect.provide(transport()))
    )

    it.scopedLive("under an installed tracer, requests have the platform's HTTP span", () => {
      const { layer, names } = recording()
      return Effect.gen(function* () {
        const { url } = yield* server
        const client = yield* HttpClient.HttpClient
        yield* client.get(`${url}/echo`)
        expect(names).toContain("http.client GET")
      }).pipe(Effect.provide(Layer.merge(transport(), layer)))
    })

    it.scopedLive("inside an open span (no tracer installed), trace context is propagated as before", () =>
      Effect.gen(function* () {
        const { seen, url } = yield* server
        const client = yield* HttpClient.HttpClient
        yield* Effect.withSpan(client.get(`${url}/echo`), "caller")
        expect(seen[0]?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      }).pipe(Effect.provide(transport()))
    )
  })
}

describe("FetchTransport redirects", () => {
  it.scopedLive("a program's requestInit can ask for redirects to be followed", () =>
    Effect.gen(function* () {
      const { seen, url } = yield* server
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(`${url}/redirect`)
      expect(response.status).toBe(200)
      expect(seen.map((s) => s.path)).toEqual(["/redirect", "/echo"])
    }).pipe(Effect.provide(FetchTransport.layer({ requestInit: { redirect: "follow" } })))
  )
})

/** The `OAuthTransport` sender a lean client offers core (see core's `OAuthTransport`). */
const senderOf = (client: HttpClient.HttpClient): OAuthTransport.Sender => {
  if (!OAuthTransport.isOAuthTransport(client)) throw new Error("the client is no OAuthTransport")
  return client[OAuthTransport.TypeId]
}

const millis = (value: number | undefined) => Option.map(Option.fromNullable(value), Duration.millis)

/** An exchange with these deadlines (milliseconds, none where `undefined`) and a 1 MiB cap. */
const exchangeOf = (requestTimeout?: number, bodyTimeout?: number): OAuthTransport.Exchange => ({
  requestTimeout: millis(requestTimeout),
  bodyTimeout: millis(bodyTimeout),
  maxBodyBytes: 1024 * 1024
})

/**
 * Deadlines kept by the transport's own timers: these run on the live clock (under a `TestClock` they go through
 * `Effect.timeout`), so the tests give them a few milliseconds against a server that never finishes: only the kind
 * of failure is asserted, never a time.
 */
const deadlineCases = [
  { phase: "requestTimeout", path: "/hang", headMillis: 20, bodyMillis: undefined, reason: "Timeout" },
  { phase: "bodyTimeout", path: "/hang-body", headMillis: undefined, bodyMillis: 20, reason: "BodyTimeout" }
] as const

for (const [name, transport] of transports) {
  describe(`${name}, as an OAuthTransport (how the OAuth client sends)`, () => {
    it.scopedLive("answers with the body already read, in one step", () =>
      Effect.gen(function* () {
        const { url } = yield* server
        const answer = yield* senderOf(yield* HttpClient.HttpClient)(HttpClientRequest.get(`${url}/echo`), exchangeOf())
        expect(answer.status).toBe(200)
        expect(JSON.parse(answer.body)).toEqual({ method: "GET", body: "" })
        expect(answer.headers["content-type"]).toBe("application/json")
        expect(answer.redirected).toBe(false)
      }).pipe(Effect.provide(transport()))
    )

    it.scopedLive("an interrupted call aborts the exchange while it waits for the body", () =>
      abortsWhenInterrupted("/hang-body", (client, request) => senderOf(client)(request, exchangeOf())).pipe(
        Effect.provide(transport())
      )
    )

    it.scopedLive("a body cut short is a ResponseError that keeps the response", () =>
      Effect.gen(function* () {
        const { url } = yield* server
        const error = yield* Effect.flip(
          senderOf(yield* HttpClient.HttpClient)(HttpClientRequest.get(`${url}/cut`), exchangeOf())
        )
        expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode", response: { status: 200 } })
      }).pipe(Effect.provide(transport()))
    )

    for (const { bodyMillis, headMillis, path, phase, reason } of deadlineCases) {
      it.scopedLive(`its ${phase} passing aborts the exchange and fails with DeadlineExceeded`, () =>
        Effect.gen(function* () {
          const { aborted, url } = yield* server
          const client = yield* HttpClient.HttpClient
          const error = yield* Effect.flip(
            senderOf(client)(HttpClientRequest.get(`${url}${path}`), exchangeOf(headMillis, bodyMillis))
          )
          expect(error).toBeInstanceOf(OAuthTransport.DeadlineExceeded)
          expect(error).toMatchObject({ phase })
          yield* Deferred.await(aborted)
        }).pipe(Effect.provide(transport()))
      )

      it.scopedLive(`under a tracer (through the platform's client), its ${phase} still holds`, () => {
        const tracer = recording()
        return Effect.gen(function* () {
          const { url } = yield* server
          const client = yield* HttpClient.HttpClient
          const error = yield* Effect.flip(
            senderOf(client)(HttpClientRequest.get(`${url}${path}`), exchangeOf(headMillis, bodyMillis))
          )
          expect(error).toBeInstanceOf(OAuthTransport.DeadlineExceeded)
          expect(error).toMatchObject({ phase })
          expect(tracer.names.length).toBeGreaterThan(0)
        }).pipe(Effect.provide(Layer.merge(transport(), tracer.layer)))
      })

      it.scopedLive(`the OAuth client's ${phase}, kept by the transport, is TransportError ${reason}`, () =>
        Effect.gen(function* () {
          const { aborted, url } = yield* server
          const client = yield* OAuthClient.make({
            clientId: "client-1",
            baseUrl: `${url}${path}`,
            ...(headMillis === undefined ? {} : { requestTimeout: headMillis }),
            ...(bodyMillis === undefined ? {} : { bodyTimeout: bodyMillis })
          })
          const error = yield* Effect.flip(
            client.exchangeCode({ code: Redacted.make("code-1"), redirectUri: "https://app.example.com/cb" })
          )
          expect(error).toMatchObject({ _tag: "TransportError", reason, outcome: "Unknown" })
          yield* Deferred.await(aborted)
        }).pipe(Effect.provide(transport()))
      )
    }

    for (const timeouts of [{}, { requestTimeout: "5 seconds", bodyTimeout: "5 seconds" }] as const) {
      const deadlines = Object.keys(timeouts).length === 0 ? "default deadlines" : "deadlines of its own"
      it.scopedLive(`the OAuth client (${deadlines}) reports a body cut short as TransportError Body`, () =>
        Effect.gen(function* () {
          const { url } = yield* server
          const client = yield* OAuthClient.make({ clientId: "client-1", baseUrl: `${url}/cut`, ...timeouts })
          const error = yield* Effect.flip(
            client.exchangeCode({ code: Redacted.make("code-1"), redirectUri: "https://app.example.com/cb" })
          )
          expect(error).toMatchObject({ _tag: "TransportError", reason: "Body", outcome: "Unknown" })
        }).pipe(Effect.provide(transport()))
      )
    }
  })
}

/** A `fetch` answering 200 with a body streamed in `chunks`; `cancelled` is set when the reader cancels it. */
const chunkedFetch = (chunks: ReadonlyArray<Uint8Array>) => {
  const state = { cancelled: false }
  const fetch: typeof globalThis.fetch = async () => {
    let next = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (next < chunks.length) controller.enqueue(chunks[next++]!)
        else controller.close()
      },
      cancel() {
        state.cancelled = true
      }
    })
    return new Response(body, { status: 200, headers: { "content-type": "application/json" } })
  }
  return { fetch, state }
}

describe("FetchTransport, a body read in chunks", () => {
  // "é" is 2 bytes and "🔑" 4 in UTF-8: the chunks split both.
  const text = JSON.stringify({ access_token: "é🔑é" })
  const bytes = new TextEncoder().encode(text)
  const at = text.indexOf("é") + 1
  const chunks = [bytes.slice(0, at), bytes.slice(at, at + 2), bytes.slice(at + 2, at + 4), bytes.slice(at + 4)]

  it.scopedLive("characters split across chunks are decoded whole", () => {
    const { fetch } = chunkedFetch(chunks)
    return Effect.gen(function* () {
      const answer = yield* senderOf(yield* HttpClient.HttpClient)(
        HttpClientRequest.get("http://127.0.0.1:1/token"),
        exchangeOf()
      )
      expect(answer.body).toBe(text)
    }).pipe(Effect.provide(FetchTransport.layer({ fetch })))
  })

  it.scopedLive("the cap counts the bytes of every chunk, and cancels the stream past it", () => {
    const { fetch, state } = chunkedFetch(chunks)
    return Effect.gen(function* () {
      const error = yield* Effect.flip(
        senderOf(yield* HttpClient.HttpClient)(HttpClientRequest.get("http://127.0.0.1:1/token"), {
          ...exchangeOf(),
          // Past the cap at the third chunk, with the last still to come.
          maxBodyBytes: at + 3
        })
      )
      expect(error).toBeInstanceOf(OAuthTransport.BodyTooLarge)
      expect(state.cancelled).toBe(true)
    }).pipe(Effect.provide(FetchTransport.layer({ fetch })))
  })
})

describe("FetchTransport, the platform's client (built on the first traced, streamed or scoped request)", () => {
  it.scopedLive("sends through the given fetch, with the Layer's defaults, each time it serves", () => {
    const inits: Array<RequestInit | undefined> = []
    const fetch: typeof globalThis.fetch = (input, init) => {
      inits.push(init)
      return globalThis.fetch(input, init)
    }
    const { layer, names } = recording()
    return Effect.gen(function* () {
      const { seen, url } = yield* server
      const client = yield* HttpClient.HttpClient
      const streamed = (text: string) =>
        client.execute(
          HttpClientRequest.post(`${url}/echo`, { body: HttpBody.stream(Stream.make(text).pipe(Stream.encodeText)) })
        )
      yield* streamed("one")
      yield* streamed("two")
      expect(seen.map((s) => s.body)).toEqual(["one", "two"])
      expect(names.filter((name) => name === "http.client POST").length).toBe(2)
      expect(inits.map((init) => [init?.cache, init?.redirect])).toEqual([
        ["no-store", "manual"],
        ["no-store", "manual"]
      ])
    }).pipe(Effect.provide(Layer.merge(FetchTransport.layer({ fetch, requestInit: { cache: "no-store" } }), layer)))
  })
})

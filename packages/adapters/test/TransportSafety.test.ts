/**
 * The transports under an OAuth call, against real loopback sockets: no redirect is ever followed (whatever the
 * program's dispatcher or `RequestInit` says), a body past the cap stops being read and the connection is dropped
 * (a 50 MB answer does not grow memory by 50 MB), undici keeps its own limits, header values that cannot be sent
 * are refused before anything is, and scoped requests keep going through the platform's client.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import { describe, expect, it, vi } from "@effect/vitest"
import { OAuthClient, RequestOutcome } from "@ultracart-oauth/core"
import { Deferred, Effect, Exit, Layer, Redacted, Scope, Stream } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as FetchTransport from "../src/FetchTransport.js"
import { scopedRequests } from "../src/internal/lean.js"
import * as NodeTransport from "../src/NodeTransport.js"

const TOKEN = JSON.stringify({ access_token: "at-1", refresh_token: "rt-1", token_type: "bearer", expires_in: 3600 })

interface Loopback {
  readonly baseUrl: string
  /** The paths requested, in order. */
  readonly paths: Array<string>
  /** Bytes of the long body the server managed to hand to the socket before the client dropped it. */
  readonly longBodyWritten: () => number
  /** Completes when the client dropped the connection of the long body. */
  readonly longBodyDropped: Deferred.Deferred<void>
}

const MB = 1024 * 1024

/**
 * `/rest/v2/oauth/token` answers 307 to `/elsewhere/oauth/token`, which answers a token; `/long/oauth/token` streams
 * 50 MB of JSON-ish text, chunked, as fast as the client takes it.
 */
const loopback = Effect.acquireRelease(
  Effect.gen(function* () {
    const paths: Array<string> = []
    let written = 0
    const longBodyDropped = yield* Deferred.make<void>()
    const server = Http.createServer((req, res) => {
      req.resume()
      req.on("end", () => {
        const path = req.url ?? ""
        paths.push(path)
        if (path.startsWith("/rest/v2/")) {
          res.writeHead(307, { location: "/elsewhere/oauth/token" }).end()
        } else if (path.startsWith("/long/")) {
          res.writeHead(200, { "content-type": "application/json" })
          const chunk = Buffer.alloc(64 * 1024, 0x20)
          const pump = () => {
            while (written < 50 * MB) {
              written += chunk.length
              if (!res.write(chunk)) return void res.once("drain", pump)
            }
            res.end()
          }
          res.on("close", () => Deferred.unsafeDone(longBodyDropped, Effect.void))
          pump()
        } else {
          res.writeHead(200, { "content-type": "application/json" }).end(TOKEN)
        }
      })
    })
    yield* Effect.async<void>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.void))
    })
    const { port } = server.address() as AddressInfo
    const loopback: Loopback = {
      baseUrl: `http://127.0.0.1:${port}`,
      paths,
      longBodyWritten: () => written,
      longBodyDropped
    }
    return { server, loopback }
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map(({ loopback }) => loopback))

const exchange = (baseUrl: string, options: Partial<OAuthClient.OAuthClientOptions> = {}) =>
  Effect.flatMap(OAuthClient.make({ clientId: "client-1", baseUrl, ...options }), (client) =>
    client.exchangeCode({ code: Redacted.make("code-1"), redirectUri: "https://app.example.com/cb" })
  )

/** An undici agent whose dispatcher follows redirects (undici's own interceptor). */
const redirectingDispatcher = () => new Undici.Agent().compose(Undici.interceptors.redirect({ maxRedirections: 3 }))

/** A `fetch` of the program's own (here one that only passes the call on): FetchTransport sends as with any. */
const programsFetch: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init)

/**
 * Each transport, and the status its redirect is reported with: Node's own `fetch` refuses an OAuth call's redirect
 * itself (`redirect: "error"`), without telling its status (0, as a browser's opaque redirect).
 */
const redirectCases: ReadonlyArray<readonly [string, () => Layer.Layer<HttpClient.HttpClient>, number]> = [
  ["FetchTransport told to follow", () => FetchTransport.layer({ requestInit: { redirect: "follow" } }), 0],
  [
    "FetchTransport over a fetch of the program's own, told to follow",
    () => FetchTransport.layer({ fetch: programsFetch, requestInit: { redirect: "follow" } }),
    307
  ],
  [
    "NodeTransport with a redirecting dispatcher",
    () => NodeTransport.layer({ dispatcher: redirectingDispatcher() }),
    307
  ],
  ["NodeTransport (node:http)", () => NodeTransport.layerNodeHttp(), 307]
]

describe("no redirect is followed on an OAuth call", () => {
  for (const [name, transport, status] of redirectCases) {
    it.scopedLive(`${name}: the ${status} is UnexpectedRedirect, and the code goes nowhere else`, () =>
      Effect.gen(function* () {
        const server = yield* loopback
        const error = yield* Effect.flip(exchange(`${server.baseUrl}/rest/v2`))
        expect(error).toMatchObject({ _tag: "UnexpectedRedirect", status })
        expect(error.message).toContain(status === 0 ? "its status not told by fetch" : `HTTP ${status}`)
        expect(server.paths).toEqual(["/rest/v2/oauth/token"])
      }).pipe(Effect.provide(transport()))
    )
  }

  it.scopedLive("FetchTransport under a caller's RequestInit asking to follow: still not followed", () =>
    Effect.gen(function* () {
      const server = yield* loopback
      const error = yield* Effect.flip(
        exchange(`${server.baseUrl}/rest/v2`).pipe(
          Effect.provideService(FetchHttpClient.RequestInit, { redirect: "follow" })
        )
      )
      expect(error).toMatchObject({ _tag: "UnexpectedRedirect", status: 0 })
      expect(server.paths).toEqual(["/rest/v2/oauth/token"])
    }).pipe(Effect.provide(FetchTransport.layer()))
  )

  it.scopedLive("the same transport still follows for the program's own requests, as it was told", () =>
    Effect.gen(function* () {
      const server = yield* loopback
      const client = yield* HttpClient.HttpClient
      const response = yield* client.post(`${server.baseUrl}/rest/v2/oauth/token`)
      expect(response.status).toBe(200)
      expect(server.paths).toEqual(["/rest/v2/oauth/token", "/elsewhere/oauth/token"])
    }).pipe(Effect.provide(NodeTransport.layer({ dispatcher: redirectingDispatcher() })))
  )

  it.scopedLive("the platform's undici client with a redirecting dispatcher: the followed answer is refused", () =>
    Effect.gen(function* () {
      const server = yield* loopback
      const error = yield* Effect.flip(exchange(`${server.baseUrl}/rest/v2`))
      // Core cannot stop another client from following; it refuses what came back from elsewhere.
      expect(error).toMatchObject({ _tag: "UnexpectedRedirect", status: 200, followed: true })
    }).pipe(
      Effect.provide(
        NodeHttpClient.layerUndiciWithoutDispatcher.pipe(
          Layer.provide(Layer.succeed(NodeHttpClient.Dispatcher, redirectingDispatcher()))
        )
      )
    )
  )
})

describe("FetchTransport over Node's own fetch", () => {
  /** Node's `fetch` replaced, until the scope closes, by a spy that records each `RequestInit` and passes it on. */
  const recordingGlobalFetch = Effect.acquireRelease(
    Effect.sync(() => {
      const seen: Array<RequestInit | undefined> = []
      const original = globalThis.fetch
      const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
        seen.push(init)
        return original(input, init)
      })
      return { seen, spy }
    }),
    ({ spy }) => Effect.sync(() => spy.mockRestore())
  )

  it.scopedLive("an OAuth call is sent with redirect: error; the program's own requests keep manual and the 3xx", () =>
    Effect.gen(function* () {
      const { seen } = yield* recordingGlobalFetch
      const server = yield* loopback
      // Built after the spy is in place: the transport takes the global `fetch` when its Layer is built.
      yield* Effect.gen(function* () {
        const token = yield* exchange(`${server.baseUrl}/elsewhere`)
        expect(token.accessToken).toBeDefined()
        const error = yield* Effect.flip(exchange(`${server.baseUrl}/rest/v2`))
        expect(error).toMatchObject({ _tag: "UnexpectedRedirect", status: 0 })
        const client = yield* HttpClient.HttpClient
        const response = yield* client.post(`${server.baseUrl}/rest/v2/oauth/token`)
        expect(response.status).toBe(307)
      }).pipe(Effect.provide(FetchTransport.layer()))
      expect(seen.map((init) => init?.redirect)).toEqual(["error", "error", "manual"])
      expect(server.paths).toEqual(["/elsewhere/oauth/token", "/rest/v2/oauth/token", "/rest/v2/oauth/token"])
    })
  )

  it.scopedLive("any other failure of an OAuth call is still a transport failure", () =>
    Effect.gen(function* () {
      // A port nothing listens on: the loopback server, closed.
      const baseUrl = yield* Effect.scoped(Effect.map(loopback, (server) => server.baseUrl))
      const error = yield* Effect.flip(exchange(baseUrl))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Transport" })
    }).pipe(Effect.provide(FetchTransport.layer()))
  )
})

const capTransports: ReadonlyArray<readonly [string, () => Layer.Layer<HttpClient.HttpClient>]> = [
  ["FetchTransport", () => FetchTransport.layer()],
  ["NodeTransport (undici)", () => NodeTransport.layer()],
  ["NodeTransport (node:http)", () => NodeTransport.layerNodeHttp()],
  ["the platform's FetchHttpClient", () => FetchHttpClient.layer]
]

describe("a 50 MB answer", () => {
  for (const [name, transport] of capTransports) {
    it.scopedLive(`${name}: read up to the cap, the connection dropped, TransportError BodyTooLarge`, () =>
      Effect.gen(function* () {
        const server = yield* loopback
        const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
        const error = yield* Effect.flip(exchange(`${server.baseUrl}/long`))
        const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
        expect(error).toMatchObject({ _tag: "TransportError", reason: "BodyTooLarge", outcome: "Unknown" })
        yield* Deferred.await(server.longBodyDropped)
        // What the server could hand over before the client stopped reading: the cap plus what sockets buffer,
        // far from the 50 MB it had to send. The client held no more than that.
        expect(server.longBodyWritten()).toBeLessThan(16 * MB)
        expect(heapAfter - heapBefore).toBeLessThan(16 * MB)
      }).pipe(Effect.provide(transport()))
    )
  }
})

/** A dispatcher recording the options of every request it dispatches. */
const recordingDispatcher = (seen: Array<Undici.Dispatcher.DispatchOptions>) => {
  const agent = new Undici.Agent()
  return agent.compose((dispatch) => (options, handler) => {
    seen.push(options)
    return dispatch(options, handler)
  })
}

describe("undici keeps its own limits", () => {
  it.scopedLive("neither the lean send nor the platform-shaped fallback raises headersTimeout or bodyTimeout", () =>
    Effect.gen(function* () {
      const server = yield* loopback
      const seen: Array<Undici.Dispatcher.DispatchOptions> = []
      const client = HttpClient.HttpClient
      yield* Effect.provide(
        Effect.gen(function* () {
          const http = yield* client
          yield* http.get(`${server.baseUrl}/elsewhere/oauth/token`)
          // A streamed body goes through the fallback client.
          yield* http.execute(
            HttpClientRequest.post(`${server.baseUrl}/elsewhere/oauth/token`).pipe(
              HttpClientRequest.bodyStream(Stream.make(new Uint8Array([1])))
            )
          )
        }),
        NodeTransport.layer({ dispatcher: recordingDispatcher(seen) })
      )
      expect(seen.length).toBeGreaterThan(0)
      for (const options of seen) {
        expect(options.headersTimeout).toBeUndefined()
        expect(options.bodyTimeout).toBeUndefined()
      }
    })
  )
})

describe("header values a transport cannot send", () => {
  for (const [name, transport] of capTransports.slice(0, 3)) {
    it.scopedLive(`${name}: RequestError Encode — the request was not sent`, () =>
      Effect.gen(function* () {
        const server = yield* loopback
        const client = yield* HttpClient.HttpClient
        const error = yield* Effect.flip(
          client.get(`${server.baseUrl}/elsewhere/x`, { headers: { "x-api": "a\r\nx-injected: 1" } })
        )
        expect(error).toMatchObject({ _tag: "RequestError", reason: "Encode" })
        expect(RequestOutcome.ofHttpClientError(error)).toBe("NotSent")
        expect(error.message).not.toContain("injected")
        expect(server.paths).toEqual([])
      }).pipe(Effect.provide(transport()))
    )
  }
})

describe("scoped requests", () => {
  it.scopedLive("the platform still registers HttpClient.withScope requests where the lean transports look", () =>
    Effect.gen(function* () {
      // If a platform release renames or drops its registry, this fails: scoped requests would then take the lean
      // route, whose exchange does not end with the request's scope.
      const seen: Array<boolean> = []
      // Made as the lean clients are: it sees each request as a transform hands it over.
      const probe = HttpClient.makeWith(
        (request: Effect.Effect<HttpClientRequest.HttpClientRequest>) =>
          Effect.flatMap(request, (r) => {
            seen.push(scopedRequests.has(r))
            return Effect.die("not sent")
          }),
        Effect.succeed
      )
      const scope = yield* Scope.make()
      yield* Effect.exit(HttpClient.withScope(probe).get("http://127.0.0.1/").pipe(Scope.extend(scope)))
      yield* Effect.exit(probe.get("http://127.0.0.1/"))
      expect(seen).toEqual([true, false])
    })
  )

  it.scopedLive("a scoped request's exchange ends when its scope closes (it went through the platform's client)", () =>
    Effect.gen(function* () {
      const server = yield* loopback
      const client = HttpClient.withScope(yield* HttpClient.HttpClient)
      const scope = yield* Scope.make()
      const response = yield* client.get(`${server.baseUrl}/long/x`).pipe(Scope.extend(scope))
      expect(response.status).toBe(200)
      yield* Scope.close(scope, Exit.void)
      yield* Deferred.await(server.longBodyDropped)
      expect(server.longBodyWritten()).toBeLessThan(50 * MB)
    }).pipe(Effect.provide(NodeTransport.layer()))
  )
})

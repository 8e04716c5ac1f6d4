import type { HttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import { describe, expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { Effect, Layer, Redacted } from "effect"
import { readFileSync } from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Auth from "../src/Auth.js"
import * as FetchTransport from "../src/FetchTransport.js"
import * as NodeTransport from "../src/NodeTransport.js"
import * as Retry from "../src/Retry.js"

const bigMessage = "busy ".repeat(200_000)

interface Loopback {
  readonly baseUrl: string
  /** TCP connections accepted so far. */
  readonly connections: () => number
  /** Requests served so far, with their `connection` header. */
  readonly requests: Array<{ readonly path: string; readonly connection: string | undefined }>
}

/** A tiny loopback server answering like UltraCart's revoke endpoint; `statuses` are served first, then 200s. */
const loopback = (statuses: ReadonlyArray<number> = []) =>
  Effect.acquireRelease(
    Effect.async<{ server: Http.Server; loopback: Loopback }>((resume) => {
      const queue = [...statuses]
      let connections = 0
      const requests: Loopback["requests"] = []
      const server = Http.createServer((req, res) => {
        requests.push({ path: req.url ?? "", connection: req.headers.connection })
        req.resume()
        req.on("end", () => {
          const status = queue.shift() ?? 200
          res.writeHead(status, { "content-type": "application/json" })
          // Error bodies are large enough to hold their socket until read (undici buffers small ones whole).
          res.end(JSON.stringify(status === 200 ? { successful: true } : { error: { developer_message: bigMessage } }))
        })
      })
      server.on("connection", () => {
        connections++
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(
          Effect.succeed({
            server,
            loopback: { baseUrl: `http://127.0.0.1:${port}/rest/v2`, connections: () => connections, requests }
          })
        )
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ loopback }) => loopback))

const CALLS = 6

/** Revocations through core's client over `transport`, one after another. */
const revocations = (server: Loopback, transport: Layer.Layer<HttpClient.HttpClient>) =>
  Effect.gen(function* () {
    const client = yield* OAuthClient.OAuthClient
    for (let i = 0; i < CALLS; i++) yield* client.revoke({ token: Redacted.make(`t${i}`) })
  }).pipe(
    Effect.provide(OAuthClient.layer({ clientId: "cid", baseUrl: server.baseUrl }).pipe(Layer.provide(transport)))
  )

describe("keep-alive (real sockets on loopback)", () => {
  const transports = [
    { name: "NodeTransport.layer (undici)", transport: () => NodeTransport.layer() },
    { name: "NodeTransport.layerNodeHttp", transport: () => NodeTransport.layerNodeHttp() },
    { name: "FetchTransport.layer", transport: () => FetchTransport.layer() }
  ]
  for (const { name, transport } of transports) {
    it.scopedLive(`${name} reuses one connection for several requests`, () =>
      Effect.gen(function* () {
        const server = yield* loopback()
        yield* revocations(server, transport())
        expect(server.requests.length).toBe(CALLS)
        expect(server.requests.map((r) => r.connection)).not.toContain("close")
        // undici may open a second socket when the next request beats the first socket's release; never more.
        expect(server.connections()).toBeLessThanOrEqual(2)
      })
    )
  }

  it.scopedLive("the control: NodeHttpClient.layer as shipped opens a connection per request", () =>
    Effect.gen(function* () {
      const server = yield* loopback()
      yield* revocations(server, NodeHttpClient.layer)
      expect(server.requests.length).toBe(CALLS)
      expect(server.requests.map((r) => r.connection)).toContain("close")
      expect(server.connections()).toBe(CALLS)
    })
  )

  it.scopedLive("a retried response is drained, so the retry reuses its connection", () =>
    Effect.gen(function* () {
      const server = yield* loopback([503, 503])
      const api = Auth.layerSimpleKey(Redacted.make("key"), { baseUrl: server.baseUrl }).pipe(
        Layer.provide(Retry.layerHttpClient({ baseDelay: "1 millis", jitter: 0 })),
        Layer.provide(NodeTransport.layer())
      )
      const status = yield* Effect.flatMap(Auth.UltraCartHttpClient, (c) => c.get("/order/orders")).pipe(
        Effect.map((response) => response.status),
        Effect.provide(api)
      )
      expect(status).toBe(200)
      expect(server.requests.length).toBe(3)
      expect(server.connections()).toBeLessThanOrEqual(2)
    })
  )
})

describe("the user's own dispatcher or fetch", () => {
  it.scopedLive("NodeTransport.layer sends through a given dispatcher and leaves it open", () =>
    Effect.gen(function* () {
      const server = yield* loopback()
      let dispatched = 0
      const agent = new Undici.Agent()
      const dispatcher = agent.compose((dispatch) => (options, handler) => {
        dispatched++
        return dispatch(options, handler)
      })
      yield* revocations(server, NodeTransport.layer({ dispatcher }))
      expect(dispatched).toBe(CALLS)
      expect(agent.destroyed).toBe(false)
      expect(server.connections()).toBeLessThanOrEqual(2)
      yield* Effect.promise(() => agent.close())
    })
  )

  it.scopedLive("NodeTransport.layer passes agent options to the agent it creates", () =>
    Effect.gen(function* () {
      const server = yield* loopback()
      const origins: Array<string> = []
      const factory = (origin: string | URL, options: Undici.Pool.Options) => {
        origins.push(String(origin))
        return new Undici.Pool(origin, options)
      }
      yield* revocations(server, NodeTransport.layer({ agent: { factory } }))
      expect(origins).toEqual([new URL(server.baseUrl).origin])
      expect(server.requests.length).toBe(CALLS)
    })
  )

  it.scopedLive("FetchTransport.layer uses a given fetch, under the request's own init", () =>
    Effect.gen(function* () {
      const server = yield* loopback()
      const inits: Array<RequestInit | undefined> = []
      const fetch: typeof globalThis.fetch = (input, init) => {
        inits.push(init)
        return globalThis.fetch(input, init)
      }
      yield* revocations(
        server,
        FetchTransport.layer({ fetch, requestInit: { redirect: "follow", cache: "no-store" } })
      )
      expect(inits.length).toBe(CALLS)
      // The OAuth client's `redirect: "manual"` wins over the defaults; other defaults stay.
      expect(inits.map((i) => [i?.redirect, i?.cache])).toEqual(Array(CALLS).fill(["manual", "no-store"]))
      expect(server.connections()).toBeLessThanOrEqual(2)
    })
  )
})

describe("module boundaries", () => {
  /** Every module the package index reaches, by relative imports (paths relative to `src/`). */
  const reachable = (entry: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(entry)) return seen
    seen.add(entry)
    const url = new URL(`../src/${entry}`, import.meta.url)
    const source = readFileSync(url, "utf8")
    for (const [, spec] of source.matchAll(/from\s+"(\.\.?\/[^"]+)\.js"/g)) {
      const target = new URL(`${spec}.ts`, url).pathname
      reachable(target.slice(target.indexOf("/src/") + "/src/".length), seen)
    }
    return seen
  }
  const importsOf = (file: string) =>
    [...readFileSync(new URL(`../src/${file}`, import.meta.url), "utf8").matchAll(/from\s+"([^"]+)"/g)].map(
      (m) => m[1]!
    )

  it("the package index and the Fetch path import nothing from Node", () => {
    const modules = reachable("index.ts")
    expect(modules).toContain("FetchTransport.ts")
    expect(modules).not.toContain("NodeTransport.ts")
    for (const file of ["index.ts", "FetchTransport.ts", "Auth.ts", "Retry.ts", "RetryPolicy.ts", "Timeouts.ts"]) {
      const nodeImports = importsOf(file).filter(
        (s) => s.startsWith("node:") || s.startsWith("@effect/platform-node") || s === "undici"
      )
      expect({ file, nodeImports }).toEqual({ file, nodeImports: [] })
    }
  })

  it("NodeTransport imports platform-node by subpath, never its index", () => {
    const imports = importsOf("NodeTransport.ts")
    expect(imports).toContain("@effect/platform-node/NodeHttpClient")
    expect(imports).not.toContain("@effect/platform-node")
  })
})

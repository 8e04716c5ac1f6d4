/**
 * The real Fetch transport against loopback sockets: what Node's fetch (undici) actually does with a redirect and
 * with a refused connection.
 */
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { OAuthClient } from "../src/index.js"
import { client, fail, options, REDIRECT_URI, secrets, secretValues } from "./utils/fixtures.js"

interface Loopback {
  readonly url: string
  /** `METHOD path body` of every request received. */
  readonly seen: ReadonlyArray<string>
}

/** A loopback HTTP server for the test's scope. */
const listen = (handle: (response: Http.ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly loopback: Loopback; readonly server: Http.Server }>((resume) => {
      const seen: Array<string> = []
      const server = Http.createServer((request, response) => {
        let body = ""
        request.on("data", (chunk: Buffer) => (body += chunk.toString()))
        request.on("end", () => {
          seen.push(`${request.method} ${request.url} ${body}`)
          handle(response)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ loopback: { url: `http://127.0.0.1:${port}`, seen }, server }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ loopback }) => loopback))

/** A loopback port nothing listens on (a server's, once closed). */
const closedPort = Effect.scoped(listen(() => {})).pipe(Effect.map(({ url }) => new URL(url).port))

const fetchClient = (baseUrl: string, requestInit?: RequestInit) =>
  OAuthClient.layer(options({ baseUrl })).pipe(
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(requestInit === undefined ? Layer.empty : Layer.succeed(FetchHttpClient.RequestInit, requestInit))
  )

describe("Node fetch on loopback", () => {
  it.live("a 307 is UnexpectedRedirect and the code never reaches the redirect target", () =>
    Effect.gen(function* () {
      const target = yield* listen((response) => response.writeHead(200).end("{}"))
      const origin = yield* listen((response) => response.writeHead(307, { location: `${target.url}/steal` }).end())
      const error = yield* fail(
        Effect.flatMap(client, (o) => o.exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI })).pipe(
          Effect.provide(fetchClient(`${origin.url}/rest/v2`, { redirect: "follow", keepalive: false }))
        )
      )
      expect(error).toMatchObject({ _tag: "UnexpectedRedirect", status: 307 })
      expect(origin.seen).toHaveLength(1)
      expect(origin.seen[0]).toContain(`code=${secretValues.code}`)
      expect(target.seen).toEqual([])
    }).pipe(Effect.scoped)
  )

  it.live("a refused connection is TransportError, outcome NotSent", () =>
    Effect.gen(function* () {
      const closed = yield* closedPort
      const error = yield* fail(
        Effect.flatMap(client, (o) => o.refresh({ refreshToken: secrets.refreshToken })).pipe(
          Effect.provide(fetchClient(`http://127.0.0.1:${closed}/rest/v2`))
        )
      )
      expect(error).toMatchObject({
        _tag: "TransportError",
        reason: "Transport",
        outcome: "NotSent",
        code: "ECONNREFUSED"
      })
    })
  )
})

/**
 * The fake UltraCart server on a real loopback socket (Node): the same fake as the in-memory Layer, served by
 * `@effect/platform-node`'s HTTP server on `127.0.0.1` and a free port. Use it to test real transports
 * (`FetchHttpClient`, `NodeHttpClient`, undici), to let a browser-like client follow the authorize URL, or to
 * run examples against something that looks like UltraCart.
 *
 * Dropped connections destroy the socket, so clients see a genuine connection reset.
 *
 * @since 0.1.0
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import { FakeUltraCart, type FakeUltraCartOptions, make as makeFake } from "./FakeUltraCart.js"

/**
 * What the server needs to know about the fake: where it listens is decided by the server itself.
 *
 * @since 0.1.0
 * @category models
 */
export type FakeUltraCartServerOptions = Omit<FakeUltraCartOptions, "baseUrl"> & {
  /** The loopback address to listen on (`127.0.0.1`). */
  readonly host?: string | undefined
  /** The port (0, the default, picks a free one). */
  readonly port?: number | undefined
}

/**
 * The fake as an `HttpApp`: every request goes to `fake.handle`; drops destroy the Node socket.
 *
 * @since 0.1.0
 * @category constructors
 */
export const httpApp = (fake: FakeUltraCart.Service): HttpApp.Default<HttpServerError.RequestError> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = yield* request.text
    const url = new URL(request.url, fake.baseUrl)
    const outcome = yield* fake.handle({ method: request.method, url, headers: request.headers, body })
    switch (outcome._tag) {
      case "Respond": {
        const { body, headers, status } = outcome.response
        return HttpServerResponse.raw(body === "" ? undefined : body, { status, headers })
      }
      case "Drop": {
        NodeHttpServerRequest.toServerResponse(request).destroy()
        return HttpServerResponse.empty({ status: 499 })
      }
      case "Truncate": {
        const { body, headers, status } = outcome.response
        const socket = NodeHttpServerRequest.toServerResponse(request).socket
        if (socket === null) return HttpServerResponse.empty({ status: 499 })
        // Written on the socket itself, not through the ServerResponse, so the platform's own (no-op) answer to
        // the destroyed socket does not collide with headers already sent.
        const bytes = Buffer.from(body)
        const head = Object.entries({ ...headers, "content-length": String(bytes.length) })
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join("")
        socket.write(`HTTP/1.1 ${status} ${Http.STATUS_CODES[status] ?? ""}\r\n${head}\r\n`)
        // Half the body, then a reset: the client sees the head and fails while reading.
        yield* Effect.async<void>((resume) => {
          socket.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
            socket.destroy()
            resume(Effect.void)
          })
        })
        return HttpServerResponse.empty({ status: 499 })
      }
    }
  })

/**
 * Starts the fake on loopback for the life of the scope; its `baseUrl` is `http://127.0.0.1:PORT/rest/v2`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: FakeUltraCartServerOptions = {}
): Effect.Effect<FakeUltraCart.Service, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function* () {
    const host = options.host ?? "127.0.0.1"
    const server = yield* NodeHttpServer.make(() => Http.createServer(), { host, port: options.port ?? 0 })
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    const fake = yield* makeFake({
      ...options,
      baseUrl: `http://${host.includes(":") ? `[${host}]` : host}:${port}/rest/v2`
    })
    // No server spans: the platform's would record the authorize URL's query (state) and the 302's Location (code
    // and state) — a test tool must not be the thing that leaks what the library keeps redacted.
    yield* server.serve(httpApp(fake)).pipe(HttpMiddleware.withTracerDisabledWhenEffect(() => true))
    return fake
  })

/**
 * The loopback fake as a Layer providing `FakeUltraCart` (bring your own `HttpClient`, e.g.
 * `FetchHttpClient.layer`, and point the client at `fake.baseUrl` — `FakeUltraCart.clientLayer` does that).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: FakeUltraCartServerOptions = {}
): Layer.Layer<FakeUltraCart, HttpServerError.ServeError> => Layer.scoped(FakeUltraCart, make(options))

/**
 * Node transports, with keep-alive on by default. Import this module by its own path
 * (`@ultracart-oauth/adapters/NodeTransport`): it loads undici and `node:http`, which the package index and the
 * Fetch path never do.
 *
 * Why this exists: `NodeHttpClient.layer` as shipped creates a `node:http` agent without keep-alive, which sends
 * `Connection: close`, so every token call would pay a new TCP and TLS handshake.
 *
 * Requests are sent straight through undici or `node:http`, without an HTTP span when no tracer is installed and no
 * span is open (and, for `node:http`, without the two fibers the platform forks per request); with a tracer (or for
 * streamed and form-data bodies, and scoped requests) they go through `@effect/platform-node`'s own client.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Undici from "@effect/platform-node/Undici"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { EventEmitter } from "node:events"
import * as Http from "node:http"
import * as Https from "node:https"
import { Readable } from "node:stream"
import * as Lean from "./internal/lean.js"

/** The request body the lean senders take (streams and form data go through the platform's client). */
const plainBody = (request: HttpClientRequest.HttpClientRequest): Uint8Array | string | null | undefined => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return null
    case "Raw":
    case "Uint8Array":
      return body.body as Uint8Array | string
    default:
      return undefined
  }
}

const noop = () => {}

/**
 * What aborts an undici request: undici takes an `EventEmitter` as its `signal` (its documented alternative to
 * `AbortSignal`), which costs a fraction of an `AbortController`.
 */
class UndiciAbort extends EventEmitter {
  abort(): void {
    this.emit("abort")
  }
}

class UndiciResponse extends Lean.LeanResponse {
  constructor(
    request: HttpClientRequest.HttpClientRequest,
    private readonly source: Undici.Dispatcher.ResponseData,
    controller: UndiciAbort
  ) {
    super(request, source.statusCode, controller, true)
    source.body.on("error", noop)
  }
  protected readHeaders() {
    return Headers.fromInput(this.source.headers)
  }
  protected readSetCookies() {
    const header = this.source.headers["set-cookie"]
    return header === undefined ? [] : Array.isArray(header) ? header : [header]
  }
  protected readText() {
    return this.source.body.text()
  }
  protected readArrayBuffer() {
    return this.source.body.arrayBuffer()
  }
  protected readFormData(): Promise<FormData> {
    // undici's `FormData` is the web one, under undici's own type declarations.
    return this.source.body.formData() as Promise<FormData>
  }
  protected readStream() {
    return NodeStream.fromReadable(
      () => this.source.body,
      (cause) => this.error(cause)
    )
  }
}

/** The lean undici send: one `dispatcher.request`, aborted when the caller is interrupted. */
const sendUndici =
  (dispatcher: Undici.Dispatcher): Lean.LeanSend =>
  (request, fiber, buffered) => {
    const body = plainBody(request)
    if (body === undefined) return undefined
    const url = Lean.urlOf(request)
    if (!(url instanceof URL)) return Effect.fail(url)
    // Per-request options a program provides, as the platform's undici client reads them.
    const options: Undici.Dispatcher.RequestOptions | undefined = fiber.currentContext.unsafeMap.get(
      NodeHttpClient.UndiciRequestOptions.key
    )
    return Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
      const controller = new UndiciAbort()
      const exchange = Lean.exchange(request, buffered, resume, () => controller.abort())
      dispatcher
        .request({
          ...options,
          signal: controller,
          method: request.method,
          headers: request.headers,
          origin: url.origin,
          path: url.pathname + url.search + url.hash,
          body,
          // Deadlines belong to the caller (`Effect.timeout`, the OAuth client's `requestTimeout`), as on the platform.
          headersTimeout: 60 * 60 * 1000,
          bodyTimeout: 0
        })
        .then(
          (response) => exchange.response(new UndiciResponse(request, response, controller)),
          (cause) => exchange.fail(Lean.transportError(request, cause))
        )
      return exchange.interrupt
    })
  }

class NodeHttpResponse extends Lean.LeanResponse {
  constructor(
    request: HttpClientRequest.HttpClientRequest,
    private readonly source: Http.IncomingMessage,
    exchange: Http.ClientRequest
  ) {
    super(request, source.statusCode ?? 0, exchange, true)
  }
  protected readHeaders() {
    return Headers.fromInput(this.source.headers)
  }
  protected readSetCookies() {
    return this.source.headers["set-cookie"] ?? []
  }
  protected readText() {
    return this.readBytes().then((bytes) => bytes.toString("utf8"))
  }
  protected readArrayBuffer() {
    return this.readBytes().then((bytes) => new Uint8Array(bytes).buffer)
  }
  protected readFormData() {
    const init: ResponseInit = { headers: new globalThis.Headers(Object.entries(this.headers)), status: this.status }
    // Node's web `ReadableStream` is the global one, under Node's own type declarations.
    return new Response(Readable.toWeb(this.source) as ReadableStream<Uint8Array>, init).formData()
  }
  protected readStream() {
    return NodeStream.fromReadable(
      () => this.source,
      (cause) => this.error(cause)
    )
  }
  private readBytes(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Array<Buffer> = []
      this.source.on("data", (chunk: Buffer) => chunks.push(chunk))
      this.source.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
      this.source.once("error", reject)
    })
  }
}

/**
 * The lean `node:http` send: the body written and the response awaited in one callback-driven step (the platform
 * forks a fiber for each), the request destroyed when the caller is interrupted.
 */
const sendNodeHttp =
  (agent: NodeHttpClient.HttpAgent): Lean.LeanSend =>
  (request, _fiber, buffered) => {
    const body = plainBody(request)
    if (body === undefined) return undefined
    const url = Lean.urlOf(request)
    if (!(url instanceof URL)) return Effect.fail(url)
    return Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
      const secure = url.protocol === "https:"
      const options = { agent: secure ? agent.https : agent.http, method: request.method, headers: request.headers }
      const nodeRequest = secure ? Https.request(url, options) : Http.request(url, options)
      const exchange = Lean.exchange(request, buffered, resume, () => {
        nodeRequest.destroy()
      })
      // Errors after the response belong to its body (they surface when it is read); `resume` takes the first only.
      nodeRequest.on("error", (cause) => exchange.fail(Lean.transportError(request, cause)))
      nodeRequest.once("response", (response) =>
        exchange.response(new NodeHttpResponse(request, response, nodeRequest))
      )
      if (body === null) nodeRequest.end()
      else nodeRequest.end(body)
      return exchange.interrupt
    })
  }

/**
 * @since 0.1.0
 * @category models
 */
export interface UndiciOptions {
  /** Your own dispatcher (an undici `Agent`, `Pool`, `ProxyAgent`…). You own it: the Layer does not close it. */
  readonly dispatcher?: Undici.Dispatcher | undefined
  /** Options for the `Agent` the Layer creates (and destroys with its scope) when no dispatcher is given. */
  readonly agent?: Undici.Agent.Options | undefined
}

/**
 * The `HttpClient` over undici (the recommended Node transport). undici keeps connections alive by default
 * (idle sockets are kept 4 s unless the server says otherwise; tune with `agent.keepAliveTimeout`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: UndiciOptions = {}): Layer.Layer<HttpClient.HttpClient> => {
  const { agent, dispatcher } = options
  const dispatcherLayer =
    dispatcher !== undefined
      ? Layer.succeed(NodeHttpClient.Dispatcher, dispatcher)
      : Layer.scoped(
          NodeHttpClient.Dispatcher,
          Effect.acquireRelease(
            Effect.sync((): Undici.Dispatcher => new Undici.Agent(agent)),
            (created) => Effect.promise(() => created.destroy())
          )
        )
  const lean = Layer.effect(
    HttpClient.HttpClient,
    Effect.zipWith(HttpClient.HttpClient, NodeHttpClient.Dispatcher, (fallback, dispatcher) =>
      Lean.make(fallback, sendUndici(dispatcher), true)
    )
  )
  return lean.pipe(Layer.provide(NodeHttpClient.layerUndiciWithoutDispatcher), Layer.provide(dispatcherLayer))
}

/**
 * @since 0.1.0
 * @category models
 */
export interface NodeHttpOptions {
  /** Your own `node:http` / `node:https` agents. You own them: the Layer does not destroy them. */
  readonly agents?: { readonly http: Http.Agent; readonly https: Https.Agent } | undefined
  /** Options for the agents the Layer creates when none are given; `keepAlive` defaults to `true`. */
  readonly agent?: Https.AgentOptions | undefined
}

/**
 * The `HttpClient` over `node:http` / `node:https`, with keep-alive on unless `agent.keepAlive` is `false`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNodeHttp = (options: NodeHttpOptions = {}): Layer.Layer<HttpClient.HttpClient> => {
  const { agent, agents } = options
  const agentLayer =
    agents !== undefined
      ? Layer.succeed(NodeHttpClient.HttpAgent, {
          [NodeHttpClient.HttpAgentTypeId]: NodeHttpClient.HttpAgentTypeId,
          ...agents
        })
      : NodeHttpClient.makeAgentLayer({ keepAlive: true, ...agent })
  const lean = Layer.effect(
    HttpClient.HttpClient,
    Effect.zipWith(HttpClient.HttpClient, NodeHttpClient.HttpAgent, (fallback, httpAgent) =>
      Lean.make(fallback, sendNodeHttp(httpAgent), true)
    )
  )
  return lean.pipe(Layer.provide(NodeHttpClient.layerWithoutAgent), Layer.provide(agentLayer))
}

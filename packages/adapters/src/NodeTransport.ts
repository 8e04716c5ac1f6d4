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
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Undici from "@effect/platform-node/Undici"
import * as OAuthTransport from "@ultracart-oauth/core/OAuthTransport"
import * as RequestOutcome from "@ultracart-oauth/core/RequestOutcome"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
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

/** A header as Node and undici keep them: a list for repeated ones. */
const joined = (value: string | ReadonlyArray<string> | undefined): string | undefined =>
  typeof value === "string" || value === undefined ? value : value.join(", ")

/**
 * Reads a Node stream's bytes, at most `maxBodyBytes` (`undefined`: no cap); past the cap `stop` drops the
 * exchange and the read fails with `BodyTooLarge`.
 */
const readBytes = (source: NodeJS.ReadableStream, maxBodyBytes: number | undefined, stop: () => void) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let bytes = 0
    const onData = (chunk: Buffer) => {
      bytes += chunk.length
      if (maxBodyBytes !== undefined && bytes > maxBodyBytes) {
        source.removeListener("data", onData)
        stop()
        reject(new OAuthTransport.BodyTooLarge({ maxBodyBytes }))
        return
      }
      chunks.push(chunk)
    }
    source.on("data", onData)
    source.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    source.once("error", reject)
  })

const utf8 = new TextDecoder()

/**
 * What aborts an undici request: undici takes an `EventEmitter` as its `signal` (its documented alternative to
 * `AbortSignal`), which costs a fraction of an `AbortController`.
 */
class UndiciAbort extends EventEmitter {
  abort(): void {
    this.emit("abort")
  }
}

/** Stops nothing: the platform's client (see {@link undiciClient}) aborts its own exchanges. */
const unstoppable = { abort: noop }

class UndiciResponse extends Lean.LeanResponse {
  constructor(
    request: HttpClientRequest.HttpClientRequest,
    private readonly source: Undici.Dispatcher.ResponseData,
    controller: Lean.Abortable,
    guarded: boolean
  ) {
    super(request, source.statusCode, controller, guarded)
    source.body.on("error", noop)
  }
  protected readHeaders() {
    return Headers.fromInput(this.source.headers)
  }
  protected rawHeader(name: string) {
    return joined(this.source.headers[name])
  }
  protected readSetCookies() {
    const header = this.source.headers["set-cookie"]
    return header === undefined ? [] : Array.isArray(header) ? header : [header]
  }
  protected readText() {
    return this.source.body.text()
  }
  protected readTextUpTo(maxBodyBytes: number) {
    return readBytes(this.source.body, maxBodyBytes, () => this.stop()).then((bytes) => utf8.decode(bytes))
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
  get redirected(): boolean {
    // A redirect interceptor lists the URLs it was redirected from.
    const context: { readonly history?: ReadonlyArray<unknown> } | undefined = this.source.context
    return context?.history !== undefined && context.history.length > 0
  }
}

/** Options that keep undici's redirect interceptor (when the dispatcher has one) from following a redirect. */
const noRedirect = { maxRedirections: 0 }

type UndiciBody = Exclude<Undici.Dispatcher.RequestOptions["body"], undefined>

/** Node's global `FormData` is undici's own class, under the DOM's type declarations. */
const undiciFormData = (formData: FormData): UndiciBody => formData as unknown as Undici.FormData

/** The undici request of an HTTP client request. */
const undiciRequest = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  options: Undici.Dispatcher.RequestOptions | undefined,
  signal: Exclude<Undici.Dispatcher.RequestOptions["signal"], undefined>,
  body: UndiciBody
): Undici.Dispatcher.RequestOptions => ({
  ...options,
  signal,
  method: request.method,
  headers: request.headers,
  origin: url.origin,
  path: url.pathname + url.search + url.hash,
  body
  // undici's own `headersTimeout` and `bodyTimeout` (300 s each) stay: a caller's deadline is its own business.
})

/** Per-request options a program provides, as the platform's undici client reads them. */
const requestOptionsOf = (context: Context.Context<never>): Undici.Dispatcher.RequestOptions | undefined =>
  context.unsafeMap.get(NodeHttpClient.UndiciRequestOptions.key)

/**
 * undici's refusal of a request it was given (an invalid header value, method or body: `InvalidArgumentError`,
 * raised as the request is built) is an `Encode` error — nothing was sent; anything else is a transport failure.
 */
const undiciError = (request: HttpClientRequest.HttpClientRequest, cause: unknown): HttpClientError.RequestError =>
  RequestOutcome.errorCode(cause) === "UND_ERR_INVALID_ARG"
    ? new HttpClientError.RequestError({ request, reason: "Encode", cause })
    : Lean.transportError(request, cause)

/** The lean undici send: one `dispatcher.request`, aborted when the caller is interrupted. */
const sendUndici =
  (dispatcher: Undici.Dispatcher): Lean.LeanSend =>
  (request, fiber, mode) => {
    const body = plainBody(request)
    if (body === undefined) return undefined
    const url = Lean.urlOf(request)
    if (!(url instanceof URL)) return Effect.fail(url)
    const options = requestOptionsOf(fiber.currentContext)
    return Effect.async<Lean.LeanResponse, HttpClientError.HttpClientError>((resume) => {
      const controller = new UndiciAbort()
      const ends = Lean.exchange(request, mode.whole, resume, () => controller.abort())
      const sent = undiciRequest(request, url, options, controller, body)
      dispatcher.request(mode.oauth ? Object.assign(sent, noRedirect) : sent).then(
        (response) => ends.response(new UndiciResponse(request, response, controller, Lean.watchesUnread(mode))),
        (cause) => ends.fail(undiciError(request, cause))
      )
      return ends.interrupt
    })
  }

/**
 * The platform's kind of undici client (spans, scoped requests, streamed bodies), made with its public
 * `HttpClient.make`: the lean client's fallback. Unlike `NodeHttpClient.layerUndici`, it leaves undici's own
 * deadlines where undici sets them (the platform's raises the head's to an hour and turns the body's off).
 */
const undiciClient = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal, fiber) => {
    const body = request.body
    const converted: Effect.Effect<UndiciBody> =
      body._tag === "Stream"
        ? NodeStream.toReadable(body.stream)
        : Effect.succeed(body._tag === "FormData" ? undiciFormData(body.formData) : (plainBody(request) ?? null))
    const options = requestOptionsOf(fiber.getFiberRef(FiberRef.currentContext))
    const follows = fiber.getFiberRef(followsRedirects)
    return Effect.flatMap(converted, (payload) =>
      Effect.tryPromise({
        try: () => {
          const sent = undiciRequest(request, url, options, signal, payload)
          return dispatcher.request(follows ? sent : Object.assign(sent, noRedirect))
        },
        catch: (cause) => undiciError(request, cause)
      })
    ).pipe(Effect.map((response) => new UndiciResponse(request, response, unstoppable, false)))
  })

/** Whether {@link undiciClient} lets a redirect interceptor follow redirects (yes, but for OAuth calls). */
const followsRedirects = FiberRef.unsafeMake(true)

/** Runs a send of {@link undiciClient} with undici's redirect interceptor told to follow nothing. */
const undiciNoRedirects: Lean.NoRedirects = (effect) => Effect.locally(effect, followsRedirects, false)

class NodeHttpResponse extends Lean.LeanResponse {
  constructor(
    request: HttpClientRequest.HttpClientRequest,
    private readonly source: Http.IncomingMessage,
    exchange: Http.ClientRequest,
    guarded: boolean
  ) {
    super(request, source.statusCode ?? 0, exchange, guarded)
  }
  protected readHeaders() {
    return Headers.fromInput(this.source.headers)
  }
  protected rawHeader(name: string) {
    return joined(this.source.headers[name])
  }
  protected readSetCookies() {
    return this.source.headers["set-cookie"] ?? []
  }
  protected readText() {
    return readBytes(this.source, undefined, noop).then((bytes) => bytes.toString("utf8"))
  }
  protected readTextUpTo(maxBodyBytes: number) {
    return readBytes(this.source, maxBodyBytes, () => this.stop()).then((bytes) => bytes.toString("utf8"))
  }
  protected readArrayBuffer() {
    return readBytes(this.source, undefined, noop).then((bytes) => new Uint8Array(bytes).buffer)
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
  get redirected(): boolean {
    // `node:http` follows no redirect.
    return false
  }
}

/** Starts a `node:http` request, or says why it cannot be made (Node checks headers as it builds it). */
const nodeRequestOf = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  agent: NodeHttpClient.HttpAgent
): Http.ClientRequest | HttpClientError.RequestError => {
  const secure = url.protocol === "https:"
  const options = { agent: secure ? agent.https : agent.http, method: request.method, headers: request.headers }
  try {
    return secure ? Https.request(url, options) : Http.request(url, options)
  } catch (cause) {
    // Nothing was sent: Node refuses the request before it opens a connection.
    return new HttpClientError.RequestError({ request, reason: "Encode", cause })
  }
}

/**
 * The lean `node:http` send: the body written and the response awaited in one callback-driven step (the platform
 * forks a fiber for each), the request destroyed when the caller is interrupted.
 */
const sendNodeHttp =
  (agent: NodeHttpClient.HttpAgent): Lean.LeanSend =>
  (request, _fiber, mode) => {
    const body = plainBody(request)
    if (body === undefined) return undefined
    const url = Lean.urlOf(request)
    if (!(url instanceof URL)) return Effect.fail(url)
    const nodeRequest = nodeRequestOf(request, url, agent)
    if (!(nodeRequest instanceof Http.ClientRequest)) return Effect.fail(nodeRequest)
    return Effect.async<Lean.LeanResponse, HttpClientError.HttpClientError>((resume) => {
      const ends = Lean.exchange(request, mode.whole, resume, () => {
        nodeRequest.destroy()
      })
      // Errors after the response belong to its body (they surface when it is read); `resume` takes the first only.
      nodeRequest.on("error", (cause) => ends.fail(Lean.transportError(request, cause)))
      nodeRequest.once("response", (response) =>
        ends.response(new NodeHttpResponse(request, response, nodeRequest, Lean.watchesUnread(mode)))
      )
      if (body === null) nodeRequest.end()
      else nodeRequest.end(body)
      return ends.interrupt
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
    Effect.map(NodeHttpClient.Dispatcher, (dispatcher) =>
      Lean.make(Effect.succeed(undiciClient(dispatcher)), sendUndici(dispatcher), undiciNoRedirects)
    )
  )
  return lean.pipe(Layer.provide(dispatcherLayer))
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
      // `node:http` follows no redirect.
      Lean.make(Effect.succeed(fallback), sendNodeHttp(httpAgent), (effect) => effect)
    )
  )
  return lean.pipe(Layer.provide(NodeHttpClient.layerWithoutAgent), Layer.provide(agentLayer))
}

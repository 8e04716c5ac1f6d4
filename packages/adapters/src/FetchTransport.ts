/**
 * The Fetch transport: `fetch` as the `HttpClient`, for Node (where `fetch` is undici), Deno, Bun, browsers and
 * workers. It imports nothing from Node.
 *
 * Keep-alive is on by default: every runtime's `fetch` pools connections, so token calls after the first skip the
 * TCP and TLS handshakes. (This is not the `keepalive` flag of `RequestInit`, which is about outliving a page.)
 *
 * Redirects are not followed (`redirect: "manual"`), as with the Node transports: a 3xx comes back as the response.
 * Set `requestInit.redirect` to change that for your own requests; the OAuth client never follows one.
 *
 * On Node's own `fetch` (undici), OAuth calls are sent with `redirect: "error"` instead: under `"manual"` undici
 * copies every request and splits its body in two (a stream tee) before sending it: about a tenth of a token
 * call's CPU one call at a time, a sixth at 64 in flight (`bench/README.md`). A redirect answering an OAuth call
 * is then refused by `fetch` itself, which does not tell its status: the OAuth client reports `UnexpectedRedirect`
 * with status 0, as for a browser's opaque redirect. Other requests, and any other `fetch`, keep `"manual"` and
 * the 3xx.
 *
 * Requests are sent straight through `fetch`, without an HTTP span when no tracer is installed and no span is
 * open; with a tracer (or for streamed bodies and scoped requests) they go through `@effect/platform`'s
 * `FetchHttpClient`, spans and all.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as OAuthTransport from "@ultracart-oauth/core/OAuthTransport"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Lean from "./internal/lean.js"

/**
 * `RequestInit` members applied to every request. On Node, `dispatcher` takes your own undici `Agent`, `Pool` or
 * `ProxyAgent`; elsewhere it is ignored. Method, headers, body and signal belong to each request and cannot be
 * set here.
 *
 * @since 0.1.0
 * @category models
 */
export type FetchRequestInit = Omit<globalThis.RequestInit, "method" | "headers" | "body" | "signal"> & {
  readonly dispatcher?: object | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FetchTransportOptions {
  /** The `fetch` to use; defaults to `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch | undefined
  /** Applied under each request's own settings. `redirect` defaults to `"manual"`. */
  readonly requestInit?: FetchRequestInit | undefined
}

const utf8 = new TextDecoder()

/**
 * Reads a web stream's bytes as UTF-8, at most `maxBodyBytes`; past them the stream is cancelled. The chunks are
 * decoded once, whole (a decoder in streaming mode costs a converter per call).
 */
const readUpTo = async (
  body: ReadableStream<Uint8Array> | null,
  maxBodyBytes: number,
  stop: () => void
): Promise<string> => {
  if (body === null) return ""
  const reader = body.getReader()
  const chunks: Array<Uint8Array> = []
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.length
    if (bytes > maxBodyBytes) {
      reader.cancel().catch(() => {})
      stop()
      throw new OAuthTransport.BodyTooLarge({ maxBodyBytes })
    }
    chunks.push(value)
  }
  if (chunks.length <= 1) return chunks.length === 0 ? "" : utf8.decode(chunks[0])
  const all = new Uint8Array(bytes)
  let at = 0
  for (const chunk of chunks) {
    all.set(chunk, at)
    at += chunk.length
  }
  return utf8.decode(all)
}

class FetchResponse extends Lean.LeanResponse {
  constructor(
    request: HttpClientRequest.HttpClientRequest,
    private readonly source: Response,
    controller: AbortController
  ) {
    super(request, source.status, controller, false)
  }
  protected readHeaders() {
    return Headers.fromInput(this.source.headers)
  }
  protected rawHeader(name: string) {
    return this.source.headers.get(name) ?? undefined
  }
  protected readTextUpTo(maxBodyBytes: number) {
    return readUpTo(this.source.body, maxBodyBytes, () => this.stop())
  }
  get redirected(): boolean {
    const { redirected, url } = this.source
    return redirected || (url !== "" && OAuthTransport.sameUrl(url, this.request.url) === false)
  }
  protected readSetCookies() {
    return this.source.headers.getSetCookie()
  }
  protected readText() {
    return this.source.text()
  }
  protected readArrayBuffer() {
    return this.source.arrayBuffer()
  }
  protected readFormData() {
    return this.source.formData()
  }
  protected readStream() {
    // The platform's response has the streaming (and its empty-body error); it reads the same `Response`.
    return HttpClientResponse.fromWeb(this.request, this.source).stream
  }
}

/** How undici's `fetch` fails a request answered with a redirect under `redirect: "error"`. */
const isRefusedRedirect = (cause: unknown): boolean =>
  cause instanceof TypeError && cause.cause instanceof Error && cause.cause.message === "unexpected redirect"

/**
 * Whether `fetch` is Node's own, undici's: the one `fetch` known to tell a refused redirect (see
 * {@link isRefusedRedirect}) from its other failures. Bun and Deno, which mimic Node's globals, are not.
 */
const isNodesOwnFetch = (fetch: typeof globalThis.fetch): boolean =>
  fetch === globalThis.fetch &&
  typeof process === "object" &&
  typeof process.versions?.undici === "string" &&
  !("Bun" in globalThis) &&
  !("Deno" in globalThis)

const absolute = /^https?:\/\//i

const manual: globalThis.RequestInit = { redirect: "manual" }
const refused: globalThis.RequestInit = { redirect: "error" }

/** Runs a send of the platform's Fetch client with `redirect: "manual"` over the caller's `RequestInit`. */
const fetchNoRedirects: Lean.NoRedirects = (effect) =>
  Effect.locallyWith(effect, FiberRef.currentContext, (context) =>
    Context.add(context, FetchHttpClient.RequestInit, {
      ...Option.getOrUndefined(Context.getOption(context, FetchHttpClient.RequestInit)),
      ...manual
    })
  )

/**
 * The lean send: one `fetch` call, aborted when the caller is interrupted. With `refusing` (Node's own `fetch`), an
 * OAuth call goes with `redirect: "error"` (see the module's documentation).
 */
const sendWith =
  (fetch: typeof globalThis.fetch, defaults: globalThis.RequestInit, refusing: boolean): Lean.LeanSend =>
  (request, fiber, mode) => {
    const body = request.body
    let payload: BodyInit | null = null
    switch (body._tag) {
      case "Empty":
        break
      case "Raw":
      case "Uint8Array":
        payload = body.body as BodyInit
        break
      case "FormData":
        payload = body.formData
        break
      case "Stream":
        return undefined
    }
    // A plain absolute URL goes as it is (`fetch` parses it anyway); anything else is built as the platform does.
    let url: string | URL = request.url
    if (request.urlParams.length > 0 || request.hash._tag === "Some" || !absolute.test(url)) {
      const built = Lean.urlOf(request)
      if (!(built instanceof URL)) return Effect.fail(built)
      url = built
    }
    // `fetch` sets the length itself; the platform drops the request's copy too.
    const headers =
      request.headers["content-length"] === undefined
        ? request.headers
        : Headers.remove(request.headers, "content-length")
    const unsendable = Lean.unsendableHeaders(request)
    if (unsendable !== undefined) return Effect.fail(unsendable)
    // A `RequestInit` in the caller's context wins over the defaults; an OAuth call follows no redirect whatever.
    const callerInit: globalThis.RequestInit | undefined = fiber.currentContext.unsafeMap.get(
      FetchHttpClient.RequestInit.key
    )
    const refuse = refusing && Lean.isOAuthCall(mode)
    return Effect.async<Lean.LeanResponse, HttpClientError.HttpClientError>((resume) => {
      const controller = new AbortController()
      const ends = Lean.exchange(request, mode.whole, resume, () => controller.abort())
      fetch(url, {
        ...defaults,
        ...callerInit,
        ...(refuse ? refused : mode.oauth ? manual : undefined),
        method: request.method,
        headers,
        body: payload,
        signal: controller.signal
      }).then(
        (response) => ends.response(new FetchResponse(request, response, controller)),
        // A redirect refused by `fetch` answers as `fetch`'s own network-error response (status 0, no header, no
        // body), as a browser's `fetch` hands back an opaque redirect: core reports `UnexpectedRedirect` status 0.
        (cause) =>
          refuse && isRefusedRedirect(cause)
            ? ends.response(new FetchResponse(request, Response.error(), controller))
            : ends.fail(Lean.transportError(request, cause))
      )
      return ends.interrupt
    })
  }

/**
 * The `HttpClient` over `fetch`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: FetchTransportOptions = {}): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.gen(function* () {
      const context = yield* Effect.context<never>()
      // What `FetchHttpClient.layer` would read from the Layer's context, when the options do not say.
      const base: typeof globalThis.fetch =
        options.fetch ?? context.unsafeMap.get(FetchHttpClient.Fetch.key) ?? globalThis.fetch
      const layerInit: globalThis.RequestInit | undefined = context.unsafeMap.get(FetchHttpClient.RequestInit.key)
      const defaults: globalThis.RequestInit = { redirect: "manual", ...layerInit, ...options.requestInit }
      // Through `Fetch` rather than the `RequestInit` tag: a caller's `RequestInit` (the OAuth client sets
      // `redirect: "manual"`) replaces the tag's value wholesale, but it is merged over these defaults here.
      const fetch: typeof globalThis.fetch = (input, init) => base(input, { ...defaults, ...init })
      // The platform's client serves only traced, scoped and streamed requests: built on the first of them (in the
      // Layer's context, as the Layer would have), so a program that sends none never builds it.
      const build = Effect.provide(
        Effect.provide(
          HttpClient.HttpClient,
          Layer.provide(FetchHttpClient.layer, Layer.succeed(FetchHttpClient.Fetch, fetch))
        ),
        context
      )
      let built: HttpClient.HttpClient | undefined
      const fallback = Effect.suspend(() =>
        built !== undefined
          ? Effect.succeed(built)
          : Effect.tap(build, (client) => {
              built = client
            })
      )
      return Lean.make(fallback, sendWith(base, defaults, isNodesOwnFetch(base)), fetchNoRedirects)
    })
  )

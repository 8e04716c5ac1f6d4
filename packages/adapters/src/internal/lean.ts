/**
 * What the lean transports share: an `HttpClient` that sends the common request itself, with no span when nothing
 * would record it, and a response that reads its body without the platform's per-call machinery. Everything else
 * (tracing, scoped requests, streamed bodies) goes to the platform's own client for that transport, unchanged.
 *
 * Each lean client is also an `OAuthTransport` (core's contract): an OAuth call is sent in one step, its body read
 * whole (up to the cap) before the send answers and its deadlines kept by timers, and never follows a redirect.
 */
import * as Cookies from "@effect/platform/Cookies"
import type * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as OAuthTransport from "@ultracart-oauth/core/OAuthTransport"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import { globalValue } from "effect/GlobalValue"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"

/**
 * Requests given an abort controller by `HttpClient.withScope`: the platform's client honours it (the exchange
 * lives until the scope closes), so they go there. This is the platform's own registry, read under the name
 * `@effect/platform` 0.97 gives it in `internal/httpClient.ts`; `TransportSafety.test.ts` fails loudly when a
 * platform release renames or drops it.
 */
export const scopedRequests = globalValue(
  "@effect/platform/HttpClient/scopedRequests",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, AbortController>()
)

/** The longest a timer can wait (setTimeout's limit). */
const MAX_TIMER_MILLIS = 2 ** 31 - 1

/**
 * A deadline as a timer's milliseconds; `undefined` for none — also for one longer than a timer can wait, which
 * Effect's own live clock never fires either.
 */
const timerMillis = (deadline: Option.Option<Duration.Duration>): number | undefined => {
  if (Option.isNone(deadline)) return undefined
  const millis = Duration.toMillis(deadline.value)
  return millis <= MAX_TIMER_MILLIS ? Math.max(0, Math.ceil(millis)) : undefined
}

/** The clock a program has until it provides another (a `TestClock`, say): it sleeps with real timers. */
const liveClock: Clock.Clock = Context.get(DefaultServices.liveServices, Clock.Clock)

/**
 * An OAuth exchange the lean way (see {@link exchange}): the body read whole, at most `maxBodyBytes`, the head
 * within `requestTimeout` and the body within `bodyTimeout` (a timer's milliseconds; none where `undefined`).
 *
 * The API client's deadlines (`Timeouts`) use the same timers through {@link TimedSend}, with `read` and `expired`:
 * the body read whole as bytes (`"bytes"`, no cap) or not at all (`"head"`: only the head's deadline is kept), and
 * their own errors.
 */
export interface Whole {
  readonly requestTimeout: number | undefined
  readonly bodyTimeout: number | undefined
  readonly maxBodyBytes: number
  /** How the body is read before the send answers: as text (the default: an OAuth call), as bytes, or not. */
  readonly read?: "bytes" | "head" | undefined
  /** The error a passed deadline fails the send with (the default: the OAuth contract's, see {@link exchange}). */
  readonly expired?:
    | ((
        phase: OAuthTransport.Phase,
        request: HttpClientRequest.HttpClientRequest,
        response: LeanResponse | undefined
      ) => HttpClientError.HttpClientError)
    | undefined
  /**
   * A deadline over both phases, from the send (an outer client's head deadline, which bounds this attempt's body
   * read too), with its own error; the phase's own timer is cut short to it. Its failures pass {@link isCallExpiry}.
   */
  readonly callTimeout?: number | undefined
  readonly callExpired?: ((request: HttpClientRequest.HttpClientRequest) => HttpClientError.HttpClientError) | undefined
  /**
   * How the outer client that handed these deadlines down keeps them the generic way over `effect` — its head
   * deadline measured from `startedMillis` (the call's start, by the fiber's clock): for a client that sends its
   * first attempt with the timers and, after a failure, goes on with `effect` (see `Retry.transformClient`).
   */
  readonly rest?:
    | (<E, R>(
        effect: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
        request: HttpClientRequest.HttpClientRequest,
        startedMillis: number
      ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E | HttpClientError.HttpClientError, R>)
    | undefined
}

/** The failures of a passed {@link Whole}'s `callTimeout`. */
const callExpiries = new WeakSet<object>()

/** Whether `error` is the failure of a passed `callTimeout` (the outer deadline, not the attempt's own). */
export const isCallExpiry = (error: unknown): error is HttpClientError.HttpClientError =>
  typeof error === "object" && error !== null && callExpiries.has(error)

/**
 * The exchange as the transport's timers can keep it, or `undefined` when they cannot: its deadlines belong to
 * another clock than the live one (a `TestClock` must control them, so they go through `Effect.timeout`).
 *
 * Fast path, "deadlines kept by timers": `Effect.timeout` forks fibers for each deadline. With the default
 * deadlines kept by `Effect.timeout` instead, the `pnpm bench` client over NodeTransport.layer() cost 1.8× the CPU
 * (505 instead of 295 µs a call, sequential) and over FetchTransport 1.25× — that path switched off against on,
 * interleaved in one process, 5 rounds.
 */
const wholeOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>, exchange: OAuthTransport.Exchange): Whole | undefined => {
  const timed = Option.isSome(exchange.requestTimeout) || Option.isSome(exchange.bodyTimeout)
  if (timed && clockOf(fiber) !== liveClock) return undefined
  // A client sends every call with the same exchange: it is converted once.
  let whole = wholes.get(exchange)
  if (whole === undefined) {
    whole = {
      requestTimeout: timerMillis(exchange.requestTimeout),
      bodyTimeout: timerMillis(exchange.bodyTimeout),
      maxBodyBytes: exchange.maxBodyBytes
    }
    wholes.set(exchange, whole)
  }
  return whole
}

const wholes = new WeakMap<OAuthTransport.Exchange, Whole>()

const utf8 = new TextDecoder()

/** How a request is to be sent. */
export interface Mode {
  /** An OAuth call's request: it follows no redirect, whatever the caller's context asks for. */
  readonly oauth: boolean
  /** Answer once the body is read (see {@link exchange}); `undefined` to answer with the head. */
  readonly whole: Whole | undefined
}

/**
 * Whether a send in `mode` is an OAuth call proper (its body read whole as text before the send answers), not an API
 * request that only refuses redirects: only then may a transport refuse a redirect as a failure of its own instead
 * of handing the 3xx back (see `FetchTransport`).
 */
export const isOAuthCall = (mode: Mode): boolean =>
  mode.oauth && mode.whole !== undefined && mode.whole.read === undefined

const plainMode: Mode = { oauth: false, whole: undefined }
const oauthHeadMode: Mode = { oauth: true, whole: undefined }

/** Requests a lean client sends as it sends an OAuth call's: following no redirect, whatever the caller's context. */
const redirectsRefused = new WeakSet<HttpClientRequest.HttpClientRequest>()

/**
 * Marks `request` so that a lean client follows no redirect for it on any route, whatever the caller's context and
 * the transport's options ask for (the API client's requests: see {@link sendsThroughLean}). Returns `request`.
 */
export const refuseRedirects = (request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
  redirectsRefused.add(request)
  return request
}

/** What a send answers with. */
export type Answer = Effect.Effect<LeanResponse, HttpClientError.HttpClientError>

/** Sends a request the transport's lean way; `undefined` when it cannot (the platform's client sends it then). */
export type LeanSend = (
  request: HttpClientRequest.HttpClientRequest,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  mode: Mode
) => Answer | undefined

/** Runs an effect (a send through the platform's client) so that it follows no redirect. */
export type NoRedirects = <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>

type Execute = HttpClient.HttpClient["execute"]

/** A lean send's failure as the contract names it: a deadline or the cap come as the cause of its error. */
const sendError = (error: HttpClientError.HttpClientError): OAuthTransport.SendError =>
  OAuthTransport.isSendFailure(error.cause) ? error.cause : error

/**
 * The transport's client: `send` for the common request, the platform's `fallback` when a span would be recorded
 * (a tracer is installed, or a span is open whose trace may be propagated), for scoped requests, and for what
 * `send` declines. It is an `OAuthTransport`: OAuth calls take the same routes, never following a redirect
 * (`noRedirects` keeps the fallback from following one); on the lean route in one step, with the deadlines kept by
 * timers, elsewhere through `OAuthTransport.sendWith`.
 */
export const make = (
  fallback: Effect.Effect<HttpClient.HttpClient>,
  send: LeanSend,
  noRedirects: NoRedirects
): HttpClient.HttpClient => {
  const route =
    (mode: Mode): Execute =>
    (request) =>
      Effect.withFiberRuntime((fiber) => {
        const sentAs = mode.oauth || !redirectsRefused.has(request) ? mode : oauthHeadMode
        if (!OAuthTransport.isTracing(fiber) && !scopedRequests.has(request)) {
          const sent = send(request, fiber, sentAs)
          if (sent !== undefined) return sent
        }
        const sent = Effect.flatMap(fallback, (client) => client.execute(request))
        return sentAs.oauth ? noRedirects(sent) : sent
      })
  /** The client sending each request in `mode` — or, marked by {@link refuseRedirects}, as an OAuth call. */
  const clientIn = (mode: Mode): HttpClient.HttpClient => {
    const execute = route(mode)
    /** API calls under `Timeouts`: the lean route only, with the deadlines kept by its timers. */
    const timed: TimedSend<never> = (request, fiber, whole) =>
      OAuthTransport.isTracing(fiber) || scopedRequests.has(request) || clockOf(fiber) !== liveClock
        ? undefined
        : send(request, fiber, { oauth: mode.oauth || redirectsRefused.has(request), whole })
    // Called directly, the client skips the steps of an identity preprocess (combinators still go through both).
    return Object.assign(clientOf(execute), { execute, [TimedTypeId]: timed })
  }
  /** OAuth calls under a tracer or a `TestClock`: the head as `execute` sends it, the body read by core's rules. */
  const sendStepwise = OAuthTransport.sendWith(clientOf(route(oauthHeadMode)))
  const sender: OAuthTransport.Sender = (request, exchange) =>
    Effect.withFiberRuntime((fiber) => {
      const whole = OAuthTransport.isTracing(fiber) ? undefined : wholeOf(fiber, exchange)
      const sent = whole === undefined ? undefined : send(request, fiber, { oauth: true, whole })
      return sent === undefined ? sendStepwise(request, exchange) : Effect.mapError(sent, sendError)
    })
  return OAuthTransport.make(Object.assign(clientIn(plainMode), { [RefusingTypeId]: clientIn(oauthHeadMode) }), sender)
}

const isClient = (u: unknown): u is HttpClient.HttpClient => Predicate.hasProperty(u, HttpClient.TypeId)

/** The key under which a lean client carries its twin that follows no redirect for any request. */
const RefusingTypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/internal/lean/RefusingRedirects")

/**
 * The twin of a lean client (the object {@link make} returned, not a transform of it) that sends every request as
 * an OAuth call's — following no redirect on any route, whatever the caller's context and the transport's options
 * ask for — with the same deadline handling; `undefined` for any other client.
 */
export const refusingRedirectsOf = <E, R>(
  client: HttpClient.HttpClient.With<E, R>
): HttpClient.HttpClient | undefined =>
  Predicate.hasProperty(client, RefusingTypeId) && isClient(client[RefusingTypeId]) ? client[RefusingTypeId] : undefined

const clockOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Clock.Clock =>
  Context.get(fiber.currentDefaultServices, Clock.Clock)

/** The key under which a lean client carries its {@link TimedSend}. */
const TimedTypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/internal/lean/TimedSend")

/**
 * Sends a request on the lean route with the deadlines of `whole` kept by the transport's timers (one per phase,
 * no fiber forked); `undefined` when it cannot — a span would be recorded, the request is scoped or streamed, or
 * the fiber's clock is not the live one (a `TestClock` must control the deadlines) — and the caller keeps them.
 * A client over a lean one may take an outer client's deadlines the same way: see {@link withOuterSend}.
 */
export type TimedSend<E = HttpClientError.HttpClientError, R = never> = (
  request: HttpClientRequest.HttpClientRequest,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  whole: Whole
) => Effect.Effect<HttpClientResponse.HttpClientResponse, E | HttpClientError.HttpClientError, R> | undefined

/**
 * The {@link TimedSend} of a lean client (the object {@link make} returned, not a transform of it: a transform's
 * middleware must not be bypassed): it keeps the deadlines it is given as its own.
 */
export const timedSendOf = <E, R>(client: HttpClient.HttpClient.With<E, R>): TimedSend<E, R> | undefined =>
  Predicate.hasProperty(client, TimedTypeId) && typeof client[TimedTypeId] === "function"
    ? (client[TimedTypeId] as TimedSend<E, R>)
    : undefined

/**
 * Whether every request `client` sends reaches a lean client's routes as it is (the lean client itself, or
 * `Timeouts` and `Retry` of this package over one), so that a request marked by {@link refuseRedirects} follows no
 * redirect without anything more.
 */
export const sendsThroughLean = <E, R>(client: HttpClient.HttpClient.With<E, R>): boolean =>
  Predicate.hasProperty(client, TimedTypeId) || Predicate.hasProperty(client, OuterTypeId)

/** The key under which a client carries its {@link TimedSend} for an outer client's deadlines. */
const OuterTypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/internal/lean/OuterSend")

/**
 * `client` carrying `send`, which takes the deadlines it is given as an *outer* client's — a head deadline over the
 * whole call, a body deadline on the response it ends with — and hands them down with its own to a lean client
 * (`Timeouts` over one, `Retry` over that), or answers `undefined`.
 */
export const withOuterSend = <E, R>(
  client: HttpClient.HttpClient.With<E, R>,
  send: TimedSend<E, R>
): HttpClient.HttpClient.With<E, R> => Object.assign(client, { [OuterTypeId]: send })

/** The send {@link withOuterSend} gave `client`, if it was given one (and not transformed since). */
export const outerSendOf = <E, R>(client: HttpClient.HttpClient.With<E, R>): TimedSend<E, R> | undefined =>
  Predicate.hasProperty(client, OuterTypeId) && typeof client[OuterTypeId] === "function"
    ? (client[OuterTypeId] as TimedSend<E, R>)
    : undefined

/** Whether a response's body is already in memory (read by a send with `read: "bytes"`). */
export const isBuffered = (response: HttpClientResponse.HttpClientResponse): boolean =>
  response instanceof LeanResponse && response.buffered

const clientOf = (execute: Execute): HttpClient.HttpClient =>
  HttpClient.makeWith(
    (effect: Effect.Effect<HttpClientRequest.HttpClientRequest>) => Effect.flatMap(effect, execute),
    Effect.succeed
  )

/** The request's URL with its query parameters and fragment, or the `InvalidUrl` error. */
export const urlOf = (request: HttpClientRequest.HttpClientRequest): URL | HttpClientError.RequestError => {
  const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
  return url._tag === "Right"
    ? url.right
    : new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left })
}

/** What no HTTP header value may hold (RFC 9110 §5.5: visible characters, spaces, tabs and obs-text only). */
const notHeaderText = /[^\t\x20-\x7e\x80-\xff]/

/**
 * The `Encode` error for a request whose header values no transport can send (a CR or LF would split the request),
 * before anything is sent: for `fetch`, whose refusal of such a value is a `TypeError` like its network failures.
 * Names the header, never its value.
 */
export const unsendableHeaders = (
  request: HttpClientRequest.HttpClientRequest
): HttpClientError.RequestError | undefined => {
  for (const name in request.headers) {
    if (notHeaderText.test(request.headers[name]!)) {
      return new HttpClientError.RequestError({
        request,
        reason: "Encode",
        description: `the ${name} header's value holds characters a header cannot carry`
      })
    }
  }
  return undefined
}

/** A transport failure before any response. */
export const transportError = (request: HttpClientRequest.HttpClientRequest, cause: unknown) =>
  new HttpClientError.RequestError({ request, reason: "Transport", cause })

/** Something that stops an exchange: an `AbortController`, or a Node request (`destroy`). */
export type Abortable = { readonly abort: () => void } | { readonly destroy: () => unknown }

const stop = (exchange: Abortable): void => {
  if ("abort" in exchange) exchange.abort()
  else exchange.destroy()
}

/**
 * What the registry holds for a watched response: its exchange until the body is read, then nothing. Held directly,
 * the exchange outlived its unregistration: V8 found the objects of undici's request handler (which the exchange
 * holds through its listeners) alive at every minor GC, and allocated them straight in the old generation from then
 * on (see `bench/README.md`, *Nothing kept alive past its call*).
 */
class Watch {
  constructor(public exchange: Abortable | undefined) {}
}

/** Stops an exchange whose response was dropped unread, which would otherwise hold its connection. */
const unread = globalValue(
  "@ultracart-oauth/adapters/unreadResponses",
  () =>
    new FinalizationRegistry<Watch>((watch) => {
      if (watch.exchange !== undefined) stop(watch.exchange)
    })
)

/**
 * An `HttpClientResponse` over a transport's own response. Headers are converted once; the body is read once
 * (`text` twice gives the same text), and an interrupted read stops the exchange. Once read whole (see
 * {@link exchange}) it is also core's `OAuthTransport.Answer`.
 */
export abstract class LeanResponse
  extends Inspectable.Class
  implements HttpClientResponse.HttpClientResponse, OAuthTransport.Answer
{
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private cachedHeaders: Headers.Headers | undefined
  private cachedCookies: Cookies.Cookies | undefined
  private textBody: Promise<string> | undefined
  /** The body, once a buffered send has read it (see {@link exchange}): `text` is then immediate. */
  private bufferedText: string | undefined
  private bytesBody: Promise<ArrayBuffer> | undefined
  /** The body, once a send with `read: "bytes"` has read it: every accessor then answers from it. */
  private bufferedBytes: ArrayBuffer | undefined
  private formBody: Promise<FormData> | undefined
  /** While the response is watched for being dropped unread. */
  private watch: Watch | undefined

  /**
   * @param exchange stops the exchange. With `guarded`, it also runs if the response is dropped unread (a Node
   *   transport's unread body holds its connection; `fetch` releases one by itself).
   */
  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly exchange: Abortable,
    guarded: boolean
  ) {
    super()
    if (guarded) {
      this.watch = new Watch(exchange)
      unread.register(this, this.watch, this)
    }
  }

  /** Stops watching: the body is being read. */
  private unwatch(): void {
    if (this.watch === undefined) return
    unread.unregister(this)
    this.watch.exchange = undefined
    this.watch = undefined
  }

  protected abstract readHeaders(): Headers.Headers
  /** One header as the transport has it, without converting the others. */
  protected abstract rawHeader(name: string): string | undefined
  protected abstract readSetCookies(): ReadonlyArray<string>
  protected abstract readText(): Promise<string>
  /** Reads the body as text, failing with `BodyTooLarge` past `maxBodyBytes` (the transport's read is stopped). */
  protected abstract readTextUpTo(maxBodyBytes: number): Promise<string>
  protected abstract readArrayBuffer(): Promise<ArrayBuffer>
  protected abstract readFormData(): Promise<FormData>
  protected abstract readStream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError>
  /** Whether the transport followed a redirect to get this response (see `OAuthTransport.Answer`). */
  abstract get redirected(): boolean

  get headers(): Headers.Headers {
    return (this.cachedHeaders ??= this.readHeaders())
  }

  get cookies(): Cookies.Cookies {
    return (this.cachedCookies ??= Cookies.fromSetCookie(this.readSetCookies()))
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  /** The body read by {@link readWhole} (empty before). */
  get body(): string {
    return this.bufferedText ?? ""
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    if (this.bufferedText === undefined && this.bufferedBytes !== undefined) {
      this.bufferedText = utf8.decode(this.bufferedBytes)
    }
    return this.bufferedText !== undefined
      ? Effect.succeed(this.bufferedText)
      : this.bodyOnce(() => (this.textBody ??= this.readText()))
  }

  /**
   * Reads the body as text now, counting its bytes up to `maxBodyBytes`, so that `text` answers at once; the body
   * cannot be read another way after. A body declared longer than that (an unencoded `Content-Length`) fails at
   * once, unread. (Reading a body of declared length with the transport's own `text()` instead of counting saves
   * nothing: `pnpm bench`'s allocation column shows 1 KB more per call on undici and 2.3 KB more on Fetch that
   * way, and no CPU difference beyond the noise.)
   */
  readWhole(maxBodyBytes: number): Promise<void> {
    this.unwatch()
    const declared = OAuthTransport.declaredLength(this.rawHeader("content-length"), this.rawHeader("content-encoding"))
    const read =
      declared !== undefined && declared > maxBodyBytes
        ? Promise.reject(new OAuthTransport.BodyTooLarge({ maxBodyBytes }))
        : this.readTextUpTo(maxBodyBytes)
    return read.then((text) => {
      this.bufferedText = text
    })
  }

  /** Reads the body as bytes now, so that every accessor answers from memory (see {@link Whole}'s `read`). */
  readBytes(): Promise<void> {
    this.unwatch()
    return this.readArrayBuffer().then((bytes) => {
      this.bufferedBytes = bytes
    })
  }

  /** Whether {@link readBytes} has read the body. */
  get buffered(): boolean {
    return this.bufferedBytes !== undefined
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: (): unknown => (text === "" ? null : JSON.parse(text)),
        catch: (cause) => this.error(cause)
      })
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.error(cause)
      })
    )
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.bufferedBytes !== undefined
      ? Effect.succeed(this.bufferedBytes)
      : this.bodyOnce(() => (this.bytesBody ??= this.readArrayBuffer()))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    const bytes = this.bufferedBytes
    return this.bodyOnce(
      () =>
        (this.formBody ??=
          bytes === undefined
            ? this.readFormData()
            : new Response(bytes, { headers: new globalThis.Headers(Object.entries(this.headers)) }).formData())
    )
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    if (this.bufferedBytes !== undefined) return Stream.succeed(new Uint8Array(this.bufferedBytes))
    this.unwatch()
    return this.readStream()
  }

  /** A failure to read this response's body. */
  error(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  /** Stops the exchange (its connection is dropped). */
  stop(): void {
    stop(this.exchange)
  }

  private bodyOnce<A>(read: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.async<A, HttpClientError.ResponseError>((resume) => {
      this.unwatch()
      read().then(
        (value) => resume(Effect.succeed(value)),
        (cause) => resume(Effect.fail(this.error(cause)))
      )
      return Effect.sync(() => stop(this.exchange))
    })
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/** The OAuth contract's failure for a passed deadline: a `RequestError` caused by core's `DeadlineExceeded`. */
const deadlineError = (request: HttpClientRequest.HttpClientRequest, phase: OAuthTransport.Phase) =>
  new HttpClientError.RequestError({
    request,
    reason: "Transport",
    cause: new OAuthTransport.DeadlineExceeded({ phase })
  })

const expired = (
  request: HttpClientRequest.HttpClientRequest,
  whole: Whole | undefined,
  phase: OAuthTransport.Phase,
  response: LeanResponse | undefined
) => whole?.expired?.(phase, request, response) ?? deadlineError(request, phase)

const callExpired = (request: HttpClientRequest.HttpClientRequest, whole: Whole | undefined) => {
  const error = whole?.callExpired?.(request) ?? deadlineError(request, "requestTimeout")
  callExpiries.add(error)
  return error
}

/**
 * Whether a response sent in `mode` is to be watched for being dropped unread (a Node transport's unread body holds
 * its connection): only when the send answers with the head. A send that reads the body whole before it answers
 * (an OAuth call, an API call under `Timeouts`) leaves nothing unread, and watching is not free: each response is
 * registered with a `FinalizationRegistry` and unregistered when its body is read.
 */
export const watchesUnread = (mode: Mode): boolean => mode.whole === undefined || mode.whole.read === "head"

/** One exchange's ends, for a transport's `Effect.async`: see {@link exchange}. */
export interface Ends {
  /** The response head arrived. */
  readonly response: (response: LeanResponse) => void
  /** The exchange failed: before a response, or (`node:http`) its connection after one. */
  readonly fail: (error: HttpClientError.HttpClientError) => void
  /** The interrupt handler: stops the timers and aborts the exchange. */
  readonly interrupt: Effect.Effect<void>
}

/**
 * The ends of one exchange inside a transport's `Effect.async`. Without `whole`, the send answers with the response
 * head. With it, it answers once the body is read (one resumption of the fiber for head and body), and keeps the
 * deadlines itself with timers: when one passes, the exchange is aborted and the send fails with a `RequestError`
 * caused by core's `DeadlineExceeded` (a timer per phase instead of the fibers `Effect.timeout` forks); a body past
 * the cap stops the exchange and fails with a `ResponseError` caused by `BodyTooLarge`. Only the first answer counts.
 */
export const exchange = (
  request: HttpClientRequest.HttpClientRequest,
  whole: Whole | undefined,
  resume: (answer: Answer) => void,
  abort: () => void
): Ends => new Exchange(request, whole, resume, abort)

/**
 * {@link exchange}'s ends. A class, not an object literal: V8 may decide to allocate a literal's objects straight
 * in the old generation once many of them were seen alive at a minor GC (allocation-site pretenuring), and an
 * exchange's ends, pretenured, kept every young object they point to (the request, the response, the callbacks)
 * alive until the next major GC — a process that decided so spent 2–3× as long in each minor GC (V8's own trace
 * named this code as depending on the site it tenured: see `bench/README.md`, *Nothing kept alive past its call*).
 */
class Exchange implements Ends {
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  /** When the call started (`performance.now()`), for a `callTimeout`. */
  private readonly started: number
  readonly interrupt: Effect.Effect<void>

  constructor(
    private readonly request: HttpClientRequest.HttpClientRequest,
    private readonly whole: Whole | undefined,
    private readonly resume: (answer: Answer) => void,
    private readonly abort: () => void
  ) {
    this.started = whole?.callTimeout === undefined ? 0 : performance.now()
    this.interrupt = Effect.sync(() => {
      this.settle()
      abort()
    })
    this.expireAfter(whole?.requestTimeout, "requestTimeout", undefined)
  }

  private settle(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private expireAfter(millis: number | undefined, phase: OAuthTransport.Phase, response: LeanResponse | undefined) {
    const { request, whole } = this
    const call = whole?.callTimeout
    let byCall = false
    if (call !== undefined) {
      const left = Math.max(0, Math.ceil(call - (performance.now() - this.started)))
      if (millis === undefined || left < millis) {
        millis = left
        byCall = true
      }
    }
    if (millis === undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.abort()
      this.resume(Effect.fail(byCall ? callExpired(request, whole) : expired(request, whole, phase, response)))
    }, millis)
  }

  response(response: LeanResponse): void {
    this.settle()
    const whole = this.whole
    if (whole === undefined || whole.read === "head") {
      this.resume(Effect.succeed(response))
      return
    }
    this.expireAfter(whole.bodyTimeout, "bodyTimeout", response)
    const read = whole.read === "bytes" ? response.readBytes() : response.readWhole(whole.maxBodyBytes)
    read.then(
      () => {
        this.settle()
        this.resume(Effect.succeed(response))
      },
      (cause) => {
        this.settle()
        if (OAuthTransport.isSendFailure(cause)) response.stop()
        this.resume(Effect.fail(response.error(cause)))
      }
    )
  }

  fail(error: HttpClientError.HttpClientError): void {
    this.settle()
    this.resume(Effect.fail(error))
  }
}

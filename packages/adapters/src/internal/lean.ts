/**
 * What the lean transports share: an `HttpClient` that sends the common request itself, with no span when nothing
 * would record it, and a response that reads its body without the platform's per-call machinery. Everything else
 * (tracing, scoped requests, streamed bodies) goes to the platform's own client for that transport, unchanged.
 */
import * as Cookies from "@effect/platform/Cookies"
import type * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"

/**
 * Core's marker for a client that never follows a redirect and opens its HTTP span only when a tracer is installed
 * or a span is open: core then sends through it without wrapping each call (see core's `internal/transport.ts`).
 */
const LeanTransport = Symbol.for("@ultracart-oauth/HttpClient/LeanTransport")

/**
 * Core's key for a lean client's buffered `execute`: its response has the whole body read already, in the same step
 * as the head (one suspension of the fiber instead of two), and the head's and the body's deadlines are kept by the
 * transport's timers. Core uses it for calls without a tracer, which read the body whole.
 */
const LeanBuffered = Symbol.for("@ultracart-oauth/HttpClient/LeanBuffered")

/** The tracer a fiber has until the program installs one: its spans reach no exporter. */
const defaultTracer = Effect.runSync(Effect.tracer)

/** Requests given an abort controller by `HttpClient.withScope`: the platform's client honours it, so they go there. */
const scopedRequests = globalValue(
  "@effect/platform/HttpClient/scopedRequests",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, AbortController>()
)

/**
 * A buffered send (see {@link LeanBuffered}): the body is read whole before the send answers, the head within
 * `headMillis` and then the body within `bodyMillis` (no deadline where `undefined`).
 */
export interface Buffered {
  readonly headMillis: number | undefined
  readonly bodyMillis: number | undefined
}

/**
 * The cause of the `RequestError` a buffered send fails with when one of its deadlines passed (the exchange was
 * aborted). Core turns it into its `TransportError` of reason `Timeout` (`head`) or `BodyTimeout` (`body`).
 */
export class DeadlineExceeded {
  readonly _tag = "LeanDeadlineExceeded"
  constructor(readonly phase: "head" | "body") {}
}

/** What a send answers with. */
export type Answer = Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>

/**
 * Sends a request the transport's lean way; `undefined` when it cannot (the platform's client sends it then).
 * With `buffered`, it answers once the body is read (see {@link exchange}).
 */
export type LeanSend = (
  request: HttpClientRequest.HttpClientRequest,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  buffered: Buffered | undefined
) => Answer | undefined

/**
 * The transport's client: `send` for the common request, the platform's `fallback` when a span would be recorded
 * (a tracer is installed, or a span is open whose trace may be propagated), for scoped requests, and for what
 * `send` declines. `neverFollowsRedirects` marks it for core (see {@link LeanTransport} and {@link LeanBuffered}).
 */
export const make = (
  fallback: HttpClient.HttpClient,
  send: LeanSend,
  neverFollowsRedirects: boolean
): HttpClient.HttpClient => {
  const run = (request: HttpClientRequest.HttpClientRequest, buffered: Buffered | undefined): Answer =>
    Effect.withFiberRuntime((fiber) => {
      const tracing =
        fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
        (fiber.currentTracer !== defaultTracer || fiber.currentContext.unsafeMap.has(Tracer.ParentSpan.key))
      if (tracing || scopedRequests.has(request)) return fallbackWith(fallback, request, buffered)
      return send(request, fiber, buffered) ?? fallbackWith(fallback, request, buffered)
    })
  const execute = (request: HttpClientRequest.HttpClientRequest): Answer => run(request, undefined)
  const executeBuffered = (
    request: HttpClientRequest.HttpClientRequest,
    headMillis: number | undefined,
    bodyMillis: number | undefined
  ): Answer => run(request, { headMillis, bodyMillis })
  const client: HttpClient.HttpClient = HttpClient.makeWith(
    (effect: Effect.Effect<HttpClientRequest.HttpClientRequest>) => Effect.flatMap(effect, execute),
    Effect.succeed
  )
  // Called directly, the client skips the steps of an identity preprocess (combinators still go through both).
  return Object.assign(
    client,
    neverFollowsRedirects ? { execute, [LeanTransport]: true, [LeanBuffered]: executeBuffered } : { execute }
  )
}

/**
 * A request the lean way cannot send, through the platform's client; a buffered one still has its body read and
 * its deadlines kept (with `Effect.timeout`, as it has no timer of its own), failing as a lean send would.
 */
const fallbackWith = (
  fallback: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  buffered: Buffered | undefined
): Answer => {
  if (buffered === undefined) return fallback.execute(request)
  const within = <A>(
    effect: Effect.Effect<A, HttpClientError.HttpClientError>,
    millis: number | undefined,
    phase: "head" | "body"
  ) =>
    millis === undefined
      ? effect
      : Effect.timeoutFail(effect, {
          duration: millis,
          onTimeout: () =>
            new HttpClientError.RequestError({ request, reason: "Transport", cause: new DeadlineExceeded(phase) })
        })
  return Effect.flatMap(within(fallback.execute(request), buffered.headMillis, "head"), (response) =>
    Effect.as(within(response.text, buffered.bodyMillis, "body"), response)
  )
}

/** The request's URL with its query parameters and fragment, or the `InvalidUrl` error. */
export const urlOf = (request: HttpClientRequest.HttpClientRequest): URL | HttpClientError.RequestError => {
  const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
  return url._tag === "Right"
    ? url.right
    : new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left })
}

/** A transport failure before any response. */
export const transportError = (request: HttpClientRequest.HttpClientRequest, cause: unknown) =>
  new HttpClientError.RequestError({ request, reason: "Transport", cause })

/** Something that stops an exchange: an `AbortController`, or a Node request (`destroy`). */
type Abortable = { readonly abort: () => void } | { readonly destroy: () => unknown }

const stop = (exchange: Abortable): void => {
  if ("abort" in exchange) exchange.abort()
  else exchange.destroy()
}

/** Stops an exchange whose response was dropped unread, which would otherwise hold its connection. */
const unread = globalValue("@ultracart-oauth/adapters/unreadResponses", () => new FinalizationRegistry<Abortable>(stop))

/**
 * An `HttpClientResponse` over a transport's own response. Headers are converted once; the body is read once
 * (`text` twice gives the same text), and an interrupted read stops the exchange.
 */
export abstract class LeanResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private cachedHeaders: Headers.Headers | undefined
  private cachedCookies: Cookies.Cookies | undefined
  private textBody: Promise<string> | undefined
  /** The body, once a buffered send has read it (see {@link exchange}): `text` is then immediate. */
  private bufferedText: string | undefined
  private bytesBody: Promise<ArrayBuffer> | undefined
  private formBody: Promise<FormData> | undefined

  /**
   * @param exchange stops the exchange. With `guard`, it also runs if the response is dropped unread (a Node
   *   transport's unread body holds its connection; `fetch` releases one by itself).
   */
  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly exchange: Abortable,
    private readonly guarded: boolean
  ) {
    super()
    if (guarded) unread.register(this, exchange, this)
  }

  protected abstract readHeaders(): Headers.Headers
  protected abstract readSetCookies(): ReadonlyArray<string>
  protected abstract readText(): Promise<string>
  protected abstract readArrayBuffer(): Promise<ArrayBuffer>
  protected abstract readFormData(): Promise<FormData>
  protected abstract readStream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError>

  get headers(): Headers.Headers {
    return (this.cachedHeaders ??= this.readHeaders())
  }

  get cookies(): Cookies.Cookies {
    return (this.cachedCookies ??= Cookies.fromSetCookie(this.readSetCookies()))
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.bufferedText !== undefined
      ? Effect.succeed(this.bufferedText)
      : this.body(() => (this.textBody ??= this.readText()))
  }

  /** Reads the body as text now, so that `text` answers at once; the body cannot be read another way after. */
  readWhole(): Promise<void> {
    if (this.guarded) unread.unregister(this)
    return (this.textBody ??= this.readText()).then((text) => {
      this.bufferedText = text
    })
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
    return this.body(() => (this.bytesBody ??= this.readArrayBuffer()))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.body(() => (this.formBody ??= this.readFormData()))
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    if (this.guarded) unread.unregister(this)
    return this.readStream()
  }

  /** A failure to read this response's body. */
  error(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  private body<A>(read: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.async<A, HttpClientError.ResponseError>((resume) => {
      if (this.guarded) unread.unregister(this)
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

/** One exchange's ends, for a transport's `Effect.async`: see {@link exchange}. */
export interface Exchange {
  /** The response head arrived. */
  readonly response: (response: LeanResponse) => void
  /** The exchange failed: before a response, or (`node:http`) its connection after one. */
  readonly fail: (error: HttpClientError.HttpClientError) => void
  /** The interrupt handler: stops the timers and aborts the exchange. */
  readonly interrupt: Effect.Effect<void>
}

/**
 * The ends of one exchange inside a transport's `Effect.async`. Unbuffered, the send answers with the response
 * head. Buffered, it answers once the body is read (one resumption of the fiber for head and body), and keeps the
 * deadlines itself with timers: when one passes, the exchange is aborted and the send fails with a `RequestError`
 * caused by {@link DeadlineExceeded} (a timer per call instead of the two fibers `Effect.timeout` forks). Only the
 * first answer counts.
 */
export const exchange = (
  request: HttpClientRequest.HttpClientRequest,
  buffered: Buffered | undefined,
  resume: (answer: Answer) => void,
  abort: () => void
): Exchange => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const settle = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
  const expireAfter = (millis: number | undefined, phase: "head" | "body") => {
    if (millis === undefined) return
    timer = setTimeout(() => {
      timer = undefined
      abort()
      resume(
        Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", cause: new DeadlineExceeded(phase) })
        )
      )
    }, millis)
  }
  expireAfter(buffered?.headMillis, "head")
  return {
    response: (response) => {
      settle()
      if (buffered === undefined) return resume(Effect.succeed(response))
      expireAfter(buffered.bodyMillis, "body")
      response.readWhole().then(
        () => {
          settle()
          resume(Effect.succeed(response))
        },
        (cause) => {
          settle()
          resume(Effect.fail(response.error(cause)))
        }
      )
    },
    fail: (error) => {
      settle()
      resume(Effect.fail(error))
    },
    interrupt: Effect.sync(() => {
      settle()
      abort()
    })
  }
}

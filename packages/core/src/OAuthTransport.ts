/**
 * The contract between the OAuth client and a transport that sends an OAuth call in one step of its own.
 *
 * Every OAuth call is the same exchange: one request, an answer read whole (at most `maxBodyBytes`), the response
 * head within `requestTimeout` and the body within `bodyTimeout`, and never a redirect followed (RFC 9700: a
 * redirected POST could carry a code or a token to another host). The OAuth client can drive any `HttpClient`
 * through that exchange ({@link sendWith}); a transport that can do it itself, in one step — the Fetch and Node
 * transports of `@ultracart-oauth/adapters` — says so by carrying a {@link Sender} under {@link TypeId}, and the
 * client then sends every call through it (one suspension of the fiber for head and body, deadlines kept by timers
 * instead of forked fibers).
 *
 * The marker lives on the client object: a `transformClient` of the OAuth client's options makes a new client
 * without it, so the program's own middleware is never bypassed.
 *
 * @example
 * ```ts
 * import * as HttpClient from "@effect/platform/HttpClient"
 * import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
 * import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
 * import * as OAuthTransport from "@ultracart-oauth/core/OAuthTransport"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * const body = JSON.stringify({ access_token: "at", token_type: "bearer" })
 * const client = HttpClient.make((request) =>
 *   Effect.succeed(HttpClientResponse.fromWeb(request, new Response(body, { status: 200 })))
 * )
 * // A transport of its own sends OAuth calls in one step; here, the generic sender over the same client.
 * const seen: Array<OAuthTransport.Exchange> = []
 * const sender = OAuthTransport.sendWith(client)
 * const transport = OAuthTransport.make(client, (request, exchange) => {
 *   seen.push(exchange)
 *   return sender(request, exchange)
 * })
 *
 * const tokens = await Effect.runPromise(
 *   Effect.flatMap(OAuthClient.OAuthClient, (oauth) => oauth.refresh({ refreshToken: Redacted.make("rt") })).pipe(
 *     Effect.provide(OAuthClient.layer({ clientId: "my-app" })),
 *     Effect.provide(Layer.succeed(HttpClient.HttpClient, transport))
 *   )
 * )
 * assert.strictEqual(Redacted.value(tokens.accessToken), "at")
 * assert.strictEqual(seen[0]?.maxBodyBytes, OAuthClient.DEFAULT_MAX_BODY_BYTES)
 * ```
 *
 * @since 0.2.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as Headers from "@effect/platform/Headers"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as DefaultServices from "effect/DefaultServices"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"

/**
 * The key under which a transport carries its {@link Sender}.
 *
 * @since 0.2.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@ultracart-oauth/core/OAuthTransport")

/**
 * @since 0.2.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Carried by the errors of a send ({@link DeadlineExceeded}, {@link BodyTooLarge}): what {@link isSendFailure}
 * checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const SendFailureTypeId: unique symbol = Symbol.for("@ultracart-oauth/core/OAuthTransport/SendFailure")

/**
 * @since 0.2.0
 * @category type ids
 */
export type SendFailureTypeId = typeof SendFailureTypeId

/**
 * The two deadlines of an exchange; `None` for no deadline.
 *
 * @since 0.2.0
 * @category models
 */
export interface Deadlines {
  /** From sending the request to the response head. */
  readonly requestTimeout: Option.Option<Duration.Duration>
  /** From the response head to the end of its body. */
  readonly bodyTimeout: Option.Option<Duration.Duration>
}

/**
 * One deadline's name: the phase of the exchange it bounds.
 *
 * @since 0.2.0
 * @category models
 */
export type Phase = keyof Deadlines

/**
 * What the OAuth client asks of one exchange.
 *
 * @since 0.2.0
 * @category models
 */
export interface Exchange extends Deadlines {
  /** The most body bytes to read: past it the read stops, the connection is dropped, and the send fails. */
  readonly maxBodyBytes: number
}

/**
 * An answer read whole.
 *
 * @since 0.2.0
 * @category models
 */
export interface Answer {
  readonly status: number
  readonly headers: Headers.Headers
  /** The body, decoded as UTF-8. */
  readonly body: string
  /**
   * Whether the answer came from another URL than the one requested: a redirect was followed somewhere below the
   * transport (a dispatcher's redirect interceptor, a `fetch` told to follow). The OAuth client refuses it.
   */
  readonly redirected: boolean
}

/**
 * A deadline of the exchange passed: the exchange was stopped.
 *
 * @since 0.2.0
 * @category errors
 */
export class DeadlineExceeded extends Data.TaggedError("OAuthTransportDeadlineExceeded")<{
  readonly phase: Phase
}> {
  /** @since 0.2.0 */
  declare readonly [SendFailureTypeId]: SendFailureTypeId
  static {
    Object.defineProperty(this.prototype, SendFailureTypeId, { value: SendFailureTypeId })
  }
}

/**
 * The body is longer than the exchange's `maxBodyBytes`: the read stopped there and the connection was dropped.
 *
 * @since 0.2.0
 * @category errors
 */
export class BodyTooLarge extends Data.TaggedError("OAuthTransportBodyTooLarge")<{
  readonly maxBodyBytes: number
}> {
  /** @since 0.2.0 */
  declare readonly [SendFailureTypeId]: SendFailureTypeId
  static {
    Object.defineProperty(this.prototype, SendFailureTypeId, { value: SendFailureTypeId })
  }
}

/**
 * Whether a value is one of this module's errors ({@link DeadlineExceeded}, {@link BodyTooLarge}): it carries
 * {@link SendFailureTypeId} (also when it comes from another copy of this module).
 *
 * @since 0.2.0
 * @category guards
 */
export const isSendFailure = (u: unknown): u is DeadlineExceeded | BodyTooLarge =>
  Predicate.hasProperty(u, SendFailureTypeId)

/**
 * Everything a send can fail with: the HTTP client's own errors (the request did not make it, or the body was cut
 * short), a deadline, or a body past the cap.
 *
 * @since 0.2.0
 * @category errors
 */
export type SendError = HttpClientError.HttpClientError | DeadlineExceeded | BodyTooLarge

/**
 * Sends one OAuth request and reads its answer whole, as the {@link Exchange} asks: within its deadlines (kept on
 * the fiber's `Clock`, so that a `TestClock` controls them), at most `maxBodyBytes` of body, never following a
 * redirect. Spans follow the platform's rule: the transport's HTTP span only when a tracer is installed or a span
 * is open ({@link isTracing}).
 *
 * @since 0.2.0
 * @category models
 */
export type Sender = (
  request: HttpClientRequest.HttpClientRequest,
  exchange: Exchange
) => Effect.Effect<Answer, SendError>

/**
 * An `HttpClient` that sends OAuth calls itself.
 *
 * @since 0.2.0
 * @category models
 */
export interface OAuthTransport extends HttpClient.HttpClient {
  readonly [TypeId]: Sender
}

/**
 * Whether a client sends OAuth calls itself.
 *
 * @since 0.2.0
 * @category guards
 */
export const isOAuthTransport = (client: HttpClient.HttpClient): client is OAuthTransport =>
  Predicate.hasProperty(client, TypeId) && typeof client[TypeId] === "function"

/**
 * Marks a client as one that sends OAuth calls with `sender`. The client object itself is marked (its `execute`
 * stays what it was): give it a client made for the purpose.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = <C extends HttpClient.HttpClient>(client: C, sender: Sender): C & OAuthTransport =>
  Object.assign(client, { [TypeId]: sender })

/** The tracer a fiber has until the program installs one. Its spans reach no exporter. */
const defaultTracer: Tracer.Tracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * Whether a call should make its spans: tracing is on, and a tracer was installed or the call runs inside a span
 * (whose trace a client may propagate). Otherwise spans would reach nothing (and cost about a quarter of an OAuth
 * call), so neither the OAuth client nor a transport makes any.
 *
 * @since 0.2.0
 * @category tracing
 */
export const isTracing = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean =>
  fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
  (fiber.currentTracer !== defaultTracer || fiber.currentContext.unsafeMap.has(Tracer.ParentSpan.key))

/**
 * Runs `effect` within `deadline` (on the fiber's `Clock`), failing with the phase's {@link DeadlineExceeded} after
 * it.
 *
 * @since 0.2.0
 * @category combinators
 */
export const within = <A, E>(
  effect: Effect.Effect<A, E>,
  phase: Phase,
  deadline: Option.Option<Duration.Duration>
): Effect.Effect<A, E | DeadlineExceeded> =>
  Option.isNone(deadline)
    ? effect
    : Effect.timeoutFail(effect, { duration: deadline.value, onTimeout: () => new DeadlineExceeded({ phase }) })

/**
 * The body length a response declares, when the body cannot exceed it once decoded: a `Content-Length` of digits,
 * with no `Content-Encoding` (a decompressing transport hands over more than the compressed length says).
 *
 * @since 0.2.0
 * @category reading
 */
export const declaredLength = (
  contentLength: string | undefined,
  contentEncoding: string | undefined
): number | undefined => {
  if (contentEncoding !== undefined && contentEncoding.toLowerCase() !== "identity") return undefined
  return contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : undefined
}

const utf8 = new TextDecoder()

/** What a streamed read has so far. */
interface Read {
  readonly chunks: Chunk.Chunk<Uint8Array>
  readonly bytes: number
}

const nothingRead: Read = { chunks: Chunk.empty(), bytes: 0 }

/**
 * Reads a response's body whole, at most `maxBodyBytes` of it. A body declared short enough (by an unencoded
 * `Content-Length`) is read as text at once; any other is streamed and counted, and the stream is stopped past the
 * cap (which drops the connection).
 *
 * @since 0.2.0
 * @category reading
 */
export const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  maxBodyBytes: number
): Effect.Effect<string, HttpClientError.ResponseError | BodyTooLarge> => {
  const declared = declaredLength(response.headers["content-length"], response.headers["content-encoding"])
  // A body of known length is read as text: through the platform's stream machinery instead, a 200-byte answer costs
  // about 400 µs of CPU instead of under 3 µs (20,000 reads of an in-memory response, in-process).
  if (declared !== undefined && declared <= maxBodyBytes) return response.text
  if (declared !== undefined) return Effect.fail(new BodyTooLarge({ maxBodyBytes }))
  return Effect.map(
    Stream.runFoldEffect(
      // A response without a body (a 204, say) has no stream: its text is empty.
      Stream.catchAll(response.stream, (error) => (error.reason === "EmptyBody" ? Stream.empty : Stream.fail(error))),
      nothingRead,
      (read: Read, chunk: Uint8Array): Effect.Effect<Read, BodyTooLarge> => {
        const bytes = read.bytes + chunk.length
        return bytes > maxBodyBytes
          ? Effect.fail(new BodyTooLarge({ maxBodyBytes }))
          : Effect.succeed({ chunks: Chunk.append(read.chunks, chunk), bytes })
      }
    ),
    ({ bytes, chunks }) => {
      if (bytes === 0) return ""
      const whole = new Uint8Array(bytes)
      let offset = 0
      for (const chunk of chunks) {
        whole.set(chunk, offset)
        offset += chunk.length
      }
      return utf8.decode(whole)
    }
  )
}

/**
 * Whether a response came from another URL than its request's, as far as it shows. A response may say so itself,
 * with a boolean `redirected` (the responses of `@ultracart-oauth/adapters`' transports do). Otherwise what it
 * wraps is asked: the platform's clients keep the runtime's own answer as `source` (behind `original` when the
 * platform made the response interruptible) — a web `Response` tells its final URL and whether it was redirected,
 * and undici's answer lists the URLs a redirect interceptor followed in `context.history`. (Those are
 * `@effect/platform` 0.97's and undici 7's shapes; core's and adapters' tests pin them.)
 *
 * @since 0.2.0
 * @category reading
 */
export const wasRedirected = (response: HttpClientResponse.HttpClientResponse): boolean => {
  if (Predicate.hasProperty(response, "redirected") && typeof response.redirected === "boolean") {
    return response.redirected
  }
  let wrapper: unknown = response
  for (let depth = 0; depth < 3 && Predicate.isObject(wrapper); depth++) {
    if (Predicate.hasProperty(wrapper, "source")) return sourceRedirected(wrapper.source, response.request.url)
    wrapper = Predicate.hasProperty(wrapper, "original") ? wrapper.original : undefined
  }
  return false
}

const sourceRedirected = (source: unknown, requested: string): boolean => {
  if (!Predicate.isObject(source)) return false
  if (Predicate.hasProperty(source, "redirected") && source.redirected === true) return true
  if (Predicate.hasProperty(source, "url") && typeof source.url === "string" && source.url !== "") {
    return sameUrl(source.url, requested) === false
  }
  if (Predicate.hasProperty(source, "context") && Predicate.hasProperty(source.context, "history")) {
    const history = source.context.history
    return Array.isArray(history) && history.length > 0
  }
  return false
}

/**
 * Whether two absolute URLs are the same (fragments aside); `undefined` when one does not parse.
 *
 * @since 0.2.0
 * @category redirects
 */
export const sameUrl = (a: string, b: string): boolean | undefined => {
  if (a === b) return true
  try {
    const x = new URL(a)
    const y = new URL(b)
    x.hash = ""
    y.hash = ""
    return x.href === y.href
  } catch {
    return undefined
  }
}

/**
 * Tells a Fetch client not to follow redirects (`redirect: "manual"`): a 3xx comes back as the response. Every
 * other `RequestInit` option of the program (a dispatcher, keepalive, credentials…) is kept. Other clients ignore it.
 *
 * `fetch` re-sends a request's headers, its body too on a 307 or 308, to wherever a 3xx points, another origin
 * included. The option is added inside the client: `FetchHttpClient.layer` merges the context it was built with
 * (where the program's `RequestInit` lives) under the caller's, so a `RequestInit` provided around the call would
 * shadow the program's; a request step runs after that merge, reads the merged value and extends it, and the
 * context is restored for whatever runs next.
 *
 * @since 0.2.0
 * @category redirects
 */
export const withoutFetchRedirects = <E, R>(
  client: HttpClient.HttpClient.With<E, R>
): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transformResponse(
    HttpClient.mapRequestEffect(client, (request) =>
      Effect.as(
        FiberRef.update(FiberRef.currentContext, (context) =>
          Context.add(context, FetchHttpClient.RequestInit, {
            ...Option.getOrUndefined(Context.getOption(context, FetchHttpClient.RequestInit)),
            redirect: "manual"
          })
        ),
        request
      )
    ),
    (effect) => Effect.locallyWith(effect, FiberRef.currentContext, identity)
  )

/**
 * The {@link Sender} for any `HttpClient`: its `execute`, the head within `requestTimeout`, then the body read
 * (up to the cap, see {@link readBody}) within `bodyTimeout`. A redirect's body is not read: the OAuth client
 * refuses the answer anyway. The client must not follow redirects itself (the OAuth client tells a Fetch client
 * so, with {@link withoutFetchRedirects}); one that does is caught by {@link wasRedirected}.
 *
 * @since 0.2.0
 * @category constructors
 */
export const sendWith =
  (client: HttpClient.HttpClient): Sender =>
  (request, exchange) =>
    Effect.flatMap(within(client.execute(request), "requestTimeout", exchange.requestTimeout), (response) => {
      const redirected = wasRedirected(response)
      const status = response.status
      if (redirected || status === 0 || (status >= 300 && status < 400)) {
        return Effect.succeed<Answer>({ status, headers: response.headers, body: "", redirected })
      }
      return Effect.map(
        within(readBody(response, exchange.maxBodyBytes), "bodyTimeout", exchange.bodyTimeout),
        (body): Answer => ({ status, headers: response.headers, body, redirected })
      )
    })

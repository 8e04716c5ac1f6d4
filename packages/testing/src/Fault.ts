/**
 * Scriptable faults for the fake UltraCart server: what a flaky network, a rate limiter, a broken gateway or a
 * sloppy server does to a request. A fault is armed with `FakeUltraCart.injectFault(fault, match)` and applies to
 * the next matching requests (once by default).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"

/**
 * How a `Retry-After` header is written: delta-seconds, an HTTP-date computed on the server's clock (so a
 * clock offset shows up in it), or a raw value (for unparseable ones).
 *
 * @since 0.1.0
 * @category models
 */
export type RetryAfter =
  | { readonly _tag: "Seconds"; readonly seconds: number }
  | { readonly _tag: "HttpDate"; readonly after: Duration.Duration }
  | { readonly _tag: "Raw"; readonly value: string }

/**
 * Where a connection is dropped.
 *
 * - `BeforeProcessing`: the server closes the connection without touching its state.
 * - `AfterProcessing`: the server did the work (a code is consumed, a refresh token rotated) but the client
 *   gets a transport failure instead of the answer — a lost response.
 * - `DuringBody`: the work is done and the status line and headers are sent, then the body is cut short.
 *
 * @since 0.1.0
 * @category models
 */
export type DropPhase = "BeforeProcessing" | "AfterProcessing" | "DuringBody"

/**
 * A fault. Faults that answer for the server (`RateLimited`, `ServerError`, `OAuthErrorWithOk`, `Respond`) and
 * `DropConnection` with `BeforeProcessing` leave the state untouched; the others let the request be processed.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault =
  | { readonly _tag: "Delay"; readonly duration: Duration.Duration; readonly then: Fault | undefined }
  | { readonly _tag: "DropConnection"; readonly phase: DropPhase }
  | { readonly _tag: "RateLimited"; readonly retryAfter: RetryAfter | undefined }
  | { readonly _tag: "ServerError"; readonly status: number; readonly retryAfter: RetryAfter | undefined }
  | { readonly _tag: "OAuthErrorWithOk"; readonly error: string; readonly description: string | undefined }
  | { readonly _tag: "JsonAsTextPlain" }
  | { readonly _tag: "MalformedJson" }
  | {
      readonly _tag: "Respond"
      readonly status: number
      readonly headers: Readonly<Record<string, string>>
      readonly body: string
    }

/**
 * How a `Retry-After` is asked for: a duration (written as delta-seconds unless `retryAfterFormat` is
 * `"http-date"`), or a raw header value.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryAfterInput {
  readonly retryAfter?: Duration.DurationInput | undefined
  readonly retryAfterFormat?: "seconds" | "http-date" | undefined
  readonly retryAfterRaw?: string | undefined
}

const retryAfterOf = (input: RetryAfterInput): RetryAfter | undefined => {
  if (input.retryAfterRaw !== undefined) return { _tag: "Raw", value: input.retryAfterRaw }
  if (input.retryAfter === undefined) return undefined
  const after = Duration.decode(input.retryAfter)
  return input.retryAfterFormat === "http-date"
    ? { _tag: "HttpDate", after }
    : { _tag: "Seconds", seconds: Math.ceil(Duration.toSeconds(after)) }
}

/**
 * Holds the request for a while on the server's `Clock` (a `TestClock` moves it), then goes on with `then` or
 * with normal processing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const delay = (duration: Duration.DurationInput, then?: Fault): Fault => ({
  _tag: "Delay",
  duration: Duration.decode(duration),
  then
})

/**
 * Drops the connection before the server processes the request: no state changes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const dropBeforeProcessing: Fault = { _tag: "DropConnection", phase: "BeforeProcessing" }

/**
 * Processes the request, then drops the connection instead of answering: the state changed, the client never
 * learns how.
 *
 * @since 0.1.0
 * @category constructors
 */
export const dropAfterProcessing: Fault = { _tag: "DropConnection", phase: "AfterProcessing" }

/**
 * Processes the request, sends the status and headers, then cuts the body short.
 *
 * @since 0.1.0
 * @category constructors
 */
export const dropDuringBody: Fault = { _tag: "DropConnection", phase: "DuringBody" }

/**
 * Answers 429 with an UltraCart `ErrorResponse` (and `Retry-After` when asked), without processing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rateLimited = (options: RetryAfterInput = {}): Fault => ({
  _tag: "RateLimited",
  retryAfter: retryAfterOf(options)
})

/**
 * Answers a 5xx (500 by default) without processing: an `ErrorResponse` for 500, a gateway's HTML page for
 * 502–504. Arm it with `times: n` for a burst of `n` failures followed by normal answers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serverError = (options: RetryAfterInput & { readonly status?: number | undefined } = {}): Fault => ({
  _tag: "ServerError",
  status: options.status ?? 500,
  retryAfter: retryAfterOf(options)
})

/**
 * Answers HTTP 200 with an OAuth error body (`{"error": …}`), as some servers do, without processing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const oauthErrorWithOk = (error = "invalid_grant", description?: string): Fault => ({
  _tag: "OAuthErrorWithOk",
  error,
  description
})

/**
 * Processes the request normally but labels the JSON answer `text/plain`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const jsonAsTextPlain: Fault = { _tag: "JsonAsTextPlain" }

/**
 * Processes the request normally but sends a JSON body cut in half (the state changed; the answer is unreadable).
 *
 * @since 0.1.0
 * @category constructors
 */
export const malformedJson: Fault = { _tag: "MalformedJson" }

/**
 * Answers with exactly this response, without processing (e.g. a 410 for a disabled app).
 *
 * @since 0.1.0
 * @category constructors
 */
export const respond = (response: {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: string | undefined
}): Fault => ({ _tag: "Respond", status: response.status, headers: response.headers ?? {}, body: response.body ?? "" })

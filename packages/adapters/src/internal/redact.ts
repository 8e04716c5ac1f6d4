/**
 * What an authenticated API call hands back — its response, and the `HttpClientError`s it fails with — shows the
 * request it sent with the credential headers' values replaced by `<redacted>`. The platform's errors and
 * responses carry their request, and outside Effect's logger (`JSON.stringify`, `util.inspect`, a rejected
 * promise) nothing redacts its headers; so the copies handed out never hold the secret at all.
 */
import type * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type * as UrlParams from "@effect/platform/UrlParams"
import * as Credentials from "@ultracart-oauth/core/Credentials"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/** What a secret header's value reads as in a redacted request. */
export const REDACTED = "<redacted>"

/** Response headers left out of a rendering: credentials echoed back, and cookies. */
const secretResponseHeaders: ReadonlyArray<string> = [...Credentials.SECRET_HEADERS, "set-cookie", "cookie"]

/** The request with the value of every credential header replaced (the same request when it has none). */
export const redactRequest = (request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
  let out = request
  for (const name of Credentials.SECRET_HEADERS) {
    if (request.headers[name] !== undefined) out = HttpClientRequest.setHeader(out, name, REDACTED)
  }
  return out
}

/**
 * A response as the caller gets it: the original's status, headers and body, with the redacted request; a failure
 * to read its body is redacted the same way.
 */
class RedactedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly #response: HttpClientResponse.HttpClientResponse
  #request: HttpClientRequest.HttpClientRequest | undefined

  constructor(response: HttpClientResponse.HttpClientResponse) {
    super()
    this.#response = response
  }

  /** Redacted on first use: a call whose response is read and dropped pays only for this object. */
  get request(): HttpClientRequest.HttpClientRequest {
    return (this.#request ??= redactRequest(this.#response.request))
  }
  get status(): number {
    return this.#response.status
  }
  get headers(): Headers.Headers {
    return this.#response.headers
  }
  get cookies(): Cookies.Cookies {
    return this.#response.cookies
  }
  get remoteAddress(): Option.Option<string> {
    return this.#response.remoteAddress
  }
  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.mapError(this.#response.json, this.#redact)
  }
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.mapError(this.#response.text, this.#redact)
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.mapError(this.#response.urlParamsBody, this.#redact)
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.mapError(this.#response.arrayBuffer, this.#redact)
  }
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.mapError(this.#response.formData, this.#redact)
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.mapError(this.#response.stream, this.#redact)
  }

  readonly #redact = (error: HttpClientError.ResponseError): HttpClientError.ResponseError =>
    redactResponseError(error, this)

  /**
   * The request a response was really sent with, for the client's own use (the 401 replay); never rendered. Read
   * from the private original rather than kept in a weak map: an entry per call in a weak map is work for every
   * garbage collection while it lives.
   */
  static sentRequest(response: HttpClientResponse.HttpClientResponse): HttpClientRequest.HttpClientRequest {
    return response instanceof RedactedResponse ? response.#response.request : response.request
  }

  toJSON(): unknown {
    return {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status,
      headers: Headers.redact(this.headers, secretResponseHeaders)
    }
  }
}

/** The response as the caller gets it (see {@link RedactedResponse}). */
export const redactResponse = (
  response: HttpClientResponse.HttpClientResponse
): HttpClientResponse.HttpClientResponse => {
  return response instanceof RedactedResponse ? response : new RedactedResponse(response)
}

/** The request a response was really sent with: for a redacted response, the one before redaction. */
export const sentRequest = (response: HttpClientResponse.HttpClientResponse): HttpClientRequest.HttpClientRequest =>
  RedactedResponse.sentRequest(response)

/** How deep a chain of `cause`s is followed. */
const MAX_DEPTH = 4

const redactCause = (cause: unknown, depth: number): unknown =>
  depth < MAX_DEPTH && HttpClientError.isHttpClientError(cause) ? redactHttpClientError(cause, depth + 1) : cause

/** The optional members of an error, only when present (an absent member stays absent in every rendering). */
const optional = (error: HttpClientError.HttpClientError, depth: number) => ({
  ...(error.cause === undefined ? {} : { cause: redactCause(error.cause, depth) }),
  ...(error.description === undefined ? {} : { description: error.description })
})

/** The copy keeps the original's stack: where the failure happened, not where it was redacted. */
const withStackOf = <A extends HttpClientError.HttpClientError>(
  copy: A,
  original: HttpClientError.HttpClientError
): A => {
  if (original.stack !== undefined) copy.stack = original.stack
  return copy
}

const redactResponseError = (
  error: HttpClientError.ResponseError,
  response: HttpClientResponse.HttpClientResponse | undefined,
  depth = 0
): HttpClientError.ResponseError =>
  withStackOf(
    new HttpClientError.ResponseError({
      request: redactRequest(error.request),
      response: response ?? redactResponse(error.response),
      reason: error.reason,
      ...optional(error, depth)
    }),
    error
  )

const redactHttpClientError = (
  error: HttpClientError.HttpClientError,
  depth: number
): HttpClientError.HttpClientError =>
  error._tag === "RequestError"
    ? withStackOf(
        new HttpClientError.RequestError({
          request: redactRequest(error.request),
          reason: error.reason,
          ...optional(error, depth)
        }),
        error
      )
    : redactResponseError(error, undefined, depth)

/** An error as the caller gets it: an `HttpClientError` redacted, anything else as it is. */
export const redactError = <E>(error: E): E | HttpClientError.HttpClientError =>
  HttpClientError.isHttpClientError(error) ? redactHttpClientError(error, 0) : error

/** Whether the names the HTTP client redacts already include every secret header's. */
export const coversSecretHeaders = (names: ReadonlyArray<string | RegExp>): boolean =>
  Credentials.SECRET_HEADERS.every((name) => names.includes(name))

/**
 * The client with every response and error redacted, and UltraCart's secret header names redacted in the spans it
 * opens (this transform must be the outermost one, so that the span sees those names).
 *
 * The names are read first: the `Auth` Layers add them for the whole program, and a call that finds them there
 * runs as it is. Only a call that misses one (a program that applies `Auth.transformClient` without the Layers)
 * changes the fiber's names for its duration — `Effect.locallyWith`, which costs about as much as the rest of
 * this transform together.
 */
export const redactClient = <E, R>(
  client: HttpClient.HttpClient.With<E, R>
): HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R> =>
  HttpClient.transformResponse(client, (effect) => {
    const redacted = Effect.mapBoth(effect, { onFailure: redactError, onSuccess: redactResponse })
    return Effect.withFiberRuntime((fiber) =>
      coversSecretHeaders(fiber.getFiberRef(Headers.currentRedactedNames))
        ? redacted
        : Credentials.withRedactedHeaders(redacted)
    )
  })

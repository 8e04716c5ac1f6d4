import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { FakeHttpResponse } from "../FakeHttp.js"

const encoder = new TextEncoder()

/** What a client sees when the peer closes the connection without (fully) answering. */
export const connectionReset = (): Error => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })

/**
 * An `HttpClientResponse` over a fake answer held in memory. `HttpClientResponse.fromWeb` would do, but a web
 * `Response` and its body stream cost about 100 µs per request, and the in-memory fake is meant to be hit
 * thousands of times per test. A truncated answer fails on reading its body, as a reset connection would.
 */
export class InMemoryResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly status: number
  readonly headers: Headers.Headers
  readonly text: Effect.Effect<string, HttpClientError.ResponseError>

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    private readonly answer: FakeHttpResponse,
    truncated: boolean
  ) {
    super()
    this.status = answer.status
    // A server states the length of the JSON it sends (and the OAuth client reads a body of known length at once).
    this.headers = Headers.fromInput({
      "content-length": String(encoder.encode(answer.body).length),
      ...answer.headers
    })
    this.text = truncated ? Effect.fail(this.decodeError(connectionReset())) : Effect.succeed(answer.body)
  }

  private decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get cookies(): Cookies.Cookies {
    const setCookie = this.answer.headers["set-cookie"]
    return setCookie === undefined ? Cookies.empty : Cookies.fromSetCookie([setCookie])
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => (text === "" ? null : JSON.parse(text)) as unknown,
        catch: (cause) => this.decodeError(cause)
      })
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => encoder.encode(text).buffer as ArrayBuffer)
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.tryPromise({
        try: () => new Response(text, { headers: this.answer.headers }).formData(),
        catch: (cause) => this.decodeError(cause)
      })
    )
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.flatMap(Stream.fromEffect(this.text), (text) => Stream.succeed(encoder.encode(text)))
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

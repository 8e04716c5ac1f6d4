import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Redacted from "effect/Redacted"
import { type Endpoint, TransportError } from "../OAuthError.js"
import * as OAuthTransport from "../OAuthTransport.js"
import * as RequestOutcome from "../RequestOutcome.js"
import { scrub } from "./scrub.js"

const errorText = (cause: unknown): string => {
  const parts: Array<string> = []
  let current = cause
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) parts.push(current.message)
    else if (typeof current === "string") parts.push(current)
    current = Predicate.hasProperty(current, "cause") ? current.cause : undefined
  }
  return (
    parts
      .filter((p) => p !== "")
      .join(": ")
      .slice(0, 300) || "no detail"
  )
}

/** Maps @effect/platform's HTTP client errors onto `TransportError`, keeping whether the request may have been sent. */
export const fromHttpClientError = (
  endpoint: Endpoint,
  error: HttpClientError.HttpClientError,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): TransportError => {
  const code = RequestOutcome.errorCode(error.cause)
  const detail = scrub(errorText(error.cause ?? error.description), secrets)
  const outcome = RequestOutcome.ofHttpClientError(error)
  const reason = error._tag === "ResponseError" ? "Body" : error.reason
  return new TransportError({ endpoint, reason, outcome, detail, ...(code ? { code } : {}) })
}

/** The phase a deadline bounds, as `TransportError` names it. */
const timeoutReasons = { requestTimeout: "Timeout", bodyTimeout: "BodyTimeout" } as const

/**
 * A failed send as the call's `TransportError`: the HTTP client's errors by what they say of the request, a
 * deadline or the body cap as `Unknown` (the request was sent; its answer, or all of it, was not read).
 */
export const fromSendError = (
  endpoint: Endpoint,
  error: OAuthTransport.SendError,
  exchange: OAuthTransport.Exchange,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): TransportError => {
  if (!OAuthTransport.isSendFailure(error)) return fromHttpClientError(endpoint, error, secrets)
  if (error._tag === "OAuthTransportBodyTooLarge") {
    return new TransportError({
      endpoint,
      reason: "BodyTooLarge",
      outcome: "Unknown",
      detail: `the answer's body is longer than ${error.maxBodyBytes} bytes; the rest was not read`
    })
  }
  const after = Option.getOrElse(exchange[error.phase], () => Duration.zero)
  return new TransportError({
    endpoint,
    reason: timeoutReasons[error.phase],
    outcome: "Unknown",
    detail: `no ${error.phase === "requestTimeout" ? "response" : "complete body"} within ${Duration.format(after)}`
  })
}

/** How a call sends: under a tracer (HTTP spans as usual, but no trace-context headers), and without one. */
export interface Senders {
  readonly traced: OAuthTransport.Sender
  /** No HTTP span: it would reach nothing, and costs about a quarter of a call. */
  readonly untraced: OAuthTransport.Sender
}

/**
 * The program's client as core sends through it. A transport that sends OAuth calls itself (see `OAuthTransport`)
 * is used as it is: it never follows a redirect and makes its HTTP span only under a tracer. Any other client is
 * told not to follow redirects (a Fetch client), and its HTTP span is turned off when nothing would record it.
 * No trace-context headers go to UltraCart either way (a third-party server has no use for our trace ids; a
 * `transformClient` can opt back in with `HttpClient.withTracerPropagation(true)`).
 */
export const sendersFor = (client: HttpClient.HttpClient): Senders => {
  // Fast path, "one step through the transport": sent through `execute` and read in a second step instead, the
  // `pnpm bench` client over NodeTransport.layer() cost 2.2× the CPU (645 instead of 295 µs a call, sequential) and
  // over FetchTransport 1.35× — that path switched off against on, interleaved in one process, 5 rounds.
  if (OAuthTransport.isOAuthTransport(client)) {
    const send = client[OAuthTransport.TypeId]
    return {
      traced: (request, exchange) =>
        Effect.locally(send(request, exchange), HttpClient.currentTracerPropagation, false),
      untraced: send
    }
  }
  const safe = OAuthTransport.withoutFetchRedirects(client)
  return {
    traced: OAuthTransport.sendWith(HttpClient.withTracerPropagation(safe, false)),
    untraced: OAuthTransport.sendWith(
      HttpClient.transformResponse(safe, Effect.locally(FiberRef.currentTracerEnabled, false))
    )
  }
}

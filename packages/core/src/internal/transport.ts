import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Redacted from "effect/Redacted"
import { identity } from "effect/Function"
import { type Endpoint, TransportError } from "../OAuthError.js"
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

/**
 * Tells a Fetch transport not to follow redirects, keeping every other `RequestInit` option of the program.
 *
 * The option must be added *inside* the client: `FetchHttpClient.layer` merges the context it was built with (where
 * its documented `RequestInit` lives: a dispatcher, keepalive, credentials…) under the caller's, so a `RequestInit`
 * provided around the call would shadow the program's. The request step runs after that merge, so it reads the
 * merged value and extends it; the outer `locallyWith` restores the context for whatever runs next.
 */
const noFetchRedirects = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
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
 * Set to `true` on an `HttpClient` that never follows a redirect and opens its HTTP span only when a tracer is
 * installed (the lean transports of `@ultracart-oauth/adapters` are such clients). Core then sends through it as it
 * is, without the per-call work it needs to make another client safe and quiet.
 */
export const LeanTransport: unique symbol = Symbol.for("@ultracart-oauth/HttpClient/LeanTransport") as never

/**
 * On a lean client, its `execute` that answers with the body already read, in the same step as the head, and keeps
 * the head's and the body's deadlines itself (see {@link BufferedExecute}).
 */
export const LeanBuffered: unique symbol = Symbol.for("@ultracart-oauth/HttpClient/LeanBuffered") as never

const isLean = (client: HttpClient.HttpClient): boolean =>
  Predicate.hasProperty(client, LeanTransport) && client[LeanTransport] === true

/** Sends a request and answers with its response. */
export type Execute = (
  request: HttpClientRequest.HttpClientRequest
) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>

/**
 * A lean client's buffered `execute`: the response comes with its body read; the head within `headMillis` and the
 * body within `bodyMillis` (none where `undefined`), else the exchange is aborted and it fails with a `RequestError`
 * whose cause says which deadline passed (see {@link deadlinePhase}).
 */
export type BufferedExecute = (
  request: HttpClientRequest.HttpClientRequest,
  headMillis: number | undefined,
  bodyMillis: number | undefined
) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>

/**
 * The deadline that passed, when `error` is a buffered send's failure for one: its cause is then adapters'
 * `DeadlineExceeded` (`_tag` `LeanDeadlineExceeded`, `phase` `head` or `body`).
 */
export const deadlinePhase = (error: HttpClientError.HttpClientError): "head" | "body" | undefined => {
  const cause: unknown = error.cause
  if (!Predicate.isTagged(cause, "LeanDeadlineExceeded") || !Predicate.hasProperty(cause, "phase")) return undefined
  return cause.phase === "head" || cause.phase === "body" ? cause.phase : undefined
}

const bufferedExecute = (client: HttpClient.HttpClient): BufferedExecute | undefined => {
  if (!Predicate.hasProperty(client, LeanBuffered)) return undefined
  const execute = client[LeanBuffered]
  // Set by adapters' lean transports (`internal/lean.ts`) to their buffered `execute`; a function is all that can
  // be checked at run time.
  return typeof execute === "function" ? (execute as BufferedExecute) : undefined
}

/** The program's client prepared for UltraCart, for calls with and without a tracer installed. */
export interface UltraCartClients {
  /** For calls under a tracer: HTTP spans as usual, but no trace-context headers. */
  readonly traced: HttpClient.HttpClient
  /** For calls without a tracer: no HTTP span (it would reach nothing, and costs a quarter of a call). */
  readonly untraced: HttpClient.HttpClient
  /** For calls without a tracer, where the transport has one: its buffered `execute` (see {@link LeanBuffered}). */
  readonly buffered: BufferedExecute | undefined
}

/**
 * The program's client as core uses it for UltraCart: redirects are never followed (RFC 9700: a redirected POST
 * could carry a code or token elsewhere), and no trace-context headers are sent (a third-party server has no use
 * for our trace ids; a `transformClient` can opt back in with `HttpClient.withTracerPropagation(true)`).
 */
export const forUltraCart = (client: HttpClient.HttpClient): UltraCartClients => {
  if (isLean(client)) {
    return {
      traced: HttpClient.withTracerPropagation(client, false),
      untraced: client,
      buffered: bufferedExecute(client)
    }
  }
  const safe = noFetchRedirects(client)
  const untraced = HttpClient.transformResponse(safe, Effect.locally(FiberRef.currentTracerEnabled, false))
  return { traced: HttpClient.withTracerPropagation(safe, false), untraced, buffered: undefined }
}

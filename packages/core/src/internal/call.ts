/**
 * One OAuth call, top to bottom: the built request is sent, its answer read whole, then decoded into the call's
 * result or its typed error. The request is built by `request.ts`, sent through `transport.ts`, read by
 * `response.ts`.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"
import * as Credentials from "../Credentials.js"
import type { Endpoint, OAuthClientError } from "../OAuthError.js"
import * as OAuthTransport from "../OAuthTransport.js"
import { withRedactedHeaderNames } from "./redact.js"
import type { Built } from "./request.js"
import { paths } from "./request.js"
import { type BodyDecoder, fromAnswer } from "./response.js"
import { fromSendError, type Senders, sendersFor } from "./transport.js"

/**
 * How long OAuth calls take, from sending the request to the answer read whole (or the send failing), in
 * seconds, tagged `endpoint` with the endpoint's path. Calls refused before sending (`InvalidInput`) are not
 * counted.
 */
export const requestDuration = Metric.histogram(
  "ultracart_oauth_request_duration_seconds",
  MetricBoundaries.exponential({ start: 0.005, factor: 2, count: 13 }),
  "How long UltraCart OAuth calls take, request sent to answer read, in seconds"
)

/**
 * Each endpoint's tag, as one array per endpoint: the histogram finds its state for the same array without
 * building a key (`Metric.tagged` would build one on every update).
 */
const endpointTags: Record<Endpoint, ReadonlyArray<MetricLabel.MetricLabel>> = {
  token: [MetricLabel.make("endpoint", paths.token)],
  revoke: [MetricLabel.make("endpoint", paths.revoke)],
  device_authorize: [MetricLabel.make("endpoint", paths.device_authorize)],
  me: [MetricLabel.make("endpoint", paths.me)]
}

/** The fiber's clock (a `TestClock` in tests), read without an effect. */
const clockOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Clock.Clock =>
  Context.get(fiber.currentDefaultServices, Clock.Clock)

/**
 * Header values kept out of the HTTP client's spans: the secret headers, and `UC-REST-ERROR`, UltraCart's error
 * text, which may echo a secret (the error carries a scrubbed copy).
 */
const withRedactedHeaders = withRedactedHeaderNames([...Credentials.SECRET_HEADERS, "uc-rest-error"])

/** Runs one call in its span `UltraCartOAuth /oauth/…`, the secret headers redacted in the HTTP span. */
const inSpan = <A>(
  built: Built,
  attributes: Record<string, string>,
  call: Effect.Effect<A, OAuthClientError>
): Effect.Effect<A, OAuthClientError> =>
  call.pipe(
    withRedactedHeaders,
    Effect.withSpan(`UltraCartOAuth ${paths[built.endpoint]}`, {
      kind: "client",
      attributes: { "ultracart.endpoint": paths[built.endpoint], ...attributes }
    })
  )

/** Sends built requests and reads their answers: the calls of one client. */
export type Call = <A>(
  built: Built,
  decoder: BodyDecoder<A>,
  attributes?: Record<string, string>
) => Effect.Effect<A, OAuthClientError>

/**
 * The calls of one client, through `client` (the program's, after its `transformClient`), with every exchange
 * as `exchange` says. `attributes` are the calls' span attributes (the client id).
 */
export const makeCall = (
  client: HttpClient.HttpClient,
  exchange: OAuthTransport.Exchange,
  attributes: Record<string, string>
): Call => {
  const senders: Senders = sendersFor(client)
  return (built, decoder, callAttributes) =>
    Effect.withFiberRuntime((fiber) => {
      // Fast path, "no spans without a tracer" (`OAuthTransport.isTracing`): with every call traced instead, the
      // `pnpm bench` client over NodeTransport.layer() cost 3.2× the CPU (920 instead of 295 µs a call, sequential)
      // and over FetchTransport 1.5× — that path switched off against on, interleaved in one process, 5 rounds.
      const tracing = OAuthTransport.isTracing(fiber)
      const clock = clockOf(fiber)
      const started = clock.unsafeCurrentTimeMillis()
      const sent = (tracing ? senders.traced : senders.untraced)(built.request, exchange)
      const call = Effect.matchEffect(sent, {
        onFailure: (error) => {
          record(built.endpoint, clock, started)
          return Effect.fail(fromSendError(built.endpoint, error, exchange, built.secrets))
        },
        onSuccess: (answer) => {
          record(built.endpoint, clock, started)
          return fromAnswer(built.endpoint, answer, decoder, built.secrets)
        }
      })
      return tracing ? inSpan(built, { ...attributes, ...callAttributes }, call) : call
    })
}

/** Records a call's duration in {@link requestDuration} (milliseconds are plenty for buckets from 5 ms). */
const record = (endpoint: Endpoint, clock: Clock.Clock, started: number): void => {
  requestDuration.unsafeUpdate((clock.unsafeCurrentTimeMillis() - started) / 1000, endpointTags[endpoint])
}

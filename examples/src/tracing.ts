/**
 * Tracing you can see: the spans of a login (authorize URL → callback → code exchange) and of a refresh, exported
 * with OpenTelemetry through `@effect/opentelemetry`. Runs against the fake UltraCart on a loopback port, through
 * the Node transport, so the HTTP client's spans are real ones.
 *
 *   pnpm tsx examples/src/tracing.ts
 *     prints the spans (OpenTelemetry's console exporter)
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_SERVICE_NAME=my-app pnpm tsx examples/src/tracing.ts
 *     sends them over OTLP/HTTP to a collector (Jaeger, Grafana Tempo, an OpenTelemetry Collector…). The exporter
 *     reads the standard variables: OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT; OTEL_SERVICE_NAME and
 *     OTEL_RESOURCE_ATTRIBUTES name the service; OTEL_TRACES_EXPORTER=console|otlp picks the exporter.
 *
 * What the spans carry: `UltraCartOAuth /oauth/token` (client id, endpoint, `oauth.grant_type`), the HTTP client's
 * span under it (method, URL, status; the key and authorization headers redacted), and `UltraCartOAuth /oauth/me`.
 * No token, code, `state` or key appears in any of them (examples/test/tracing.test.ts checks it).
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import { Credentials, OAuthClient } from "@ultracart-oauth/core"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Console, Effect, Layer, Option, Redacted } from "effect"

const REDIRECT_URI = "http://127.0.0.1:8976/callback"
const CLIENT_ID = "tracing-example"
/** The fake's app requires this key on the token endpoint, so it is sent (and must not show in a span). */
export const SIMPLE_KEY = Redacted.make("example-simple-key-0123456789")

/** A merchant connects (the login) and the app refreshes the tokens: each in its own span. */
export const loginAndRefresh = Effect.gen(function* () {
  const client = yield* OAuthClient.OAuthClient
  const fake = yield* FakeUltraCart.FakeUltraCart
  const tokens = yield* Effect.gen(function* () {
    const { state, url } = yield* client.authorizationUrl({ redirectUri: REDIRECT_URI })
    const callback = yield* fake.approve(url) // the merchant approves on UltraCart's page
    const code = yield* client.parseCallback(callback, state)
    const tokens = yield* client.exchangeCode({ code, redirectUri: REDIRECT_URI })
    yield* client.me({ accessToken: tokens.accessToken })
    return tokens
  }).pipe(Effect.withSpan("example.login"))
  const refreshToken = yield* Option.match(tokens.refreshToken, {
    onNone: () => Effect.dieMessage("the server issued no refresh token"),
    onSome: Effect.succeed
  })
  const refreshed = yield* client.refresh({ refreshToken }).pipe(Effect.withSpan("example.refresh"))
  return refreshed
})

/** The fake on a loopback port with one app, core's client pointed at it, through the Node transport. */
export const FakeLive = FakeUltraCart.clientLayer({
  clientId: CLIENT_ID,
  credentials: Credentials.simpleKey(SIMPLE_KEY)
}).pipe(
  Layer.provideMerge(
    Layer.merge(
      FakeUltraCartServer.layer({
        clients: [
          { clientId: CLIENT_ID, redirectUris: [REDIRECT_URI], simpleKey: SIMPLE_KEY, permissions: ["order_read"] }
        ]
      }),
      NodeTransport.layer()
    )
  )
)

/** OTLP/HTTP when an OTLP endpoint is configured (or OTEL_TRACES_EXPORTER=otlp), the console otherwise. */
const exporterFromEnv = (): SpanExporter => {
  const chosen = process.env.OTEL_TRACES_EXPORTER
  const otlp =
    chosen === "otlp" ||
    (chosen !== "console" &&
      (process.env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined ||
        process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined))
  return otlp ? new OTLPTraceExporter() : new ConsoleSpanExporter()
}

/** Effect's tracer backed by OpenTelemetry's Node SDK (flushed when the program ends). */
export const TracingLive = NodeSdk.layer(() => ({
  resource: { serviceName: process.env.OTEL_SERVICE_NAME ?? "ultracart-oauth-example" },
  spanProcessor: new BatchSpanProcessor(exporterFromEnv())
}))

if (import.meta.url === `file://${process.argv[1]}`) {
  loginAndRefresh.pipe(
    Effect.zipLeft(Console.log("login and refresh done; spans exported")),
    Effect.provide(FakeLive),
    Effect.provide(TracingLive),
    NodeRuntime.runMain
  )
}

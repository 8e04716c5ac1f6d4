/**
 * The tracing example's spans, exported through OpenTelemetry's SDK into memory: the names and attributes a user
 * sees for a login and a refresh, and no token, code, `state` or key anywhere in what was exported.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { expect, it } from "@effect/vitest"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import { Effect, Layer, Redacted } from "effect"
import { FakeLive, loginAndRefresh, SIMPLE_KEY } from "../src/tracing.js"

const byName = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((span) => span.name === name)

/** Everything an exporter would ship for a span, as text. */
const exported = (span: ReadableSpan): string =>
  JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    links: span.links,
    status: span.status,
    resource: span.resource.attributes
  })

it.live("a login and a refresh export named spans with their attributes and no secret in any of them", () => {
  const exporter = new InMemorySpanExporter()
  const TracingTest = NodeSdk.layer(() => ({
    resource: { serviceName: "tracing-test" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))
  return Effect.gen(function* () {
    const fake = yield* FakeUltraCart.FakeUltraCart
    const refreshed = yield* loginAndRefresh
    const spans = exporter.getFinishedSpans()

    const [login] = byName(spans, "example.login")
    const [refresh] = byName(spans, "example.refresh")
    expect(login).toBeDefined()
    expect(refresh).toBeDefined()
    const tokenSpans = byName(spans, "UltraCartOAuth /oauth/token")
    expect(tokenSpans.map((span) => span.attributes["oauth.grant_type"])).toEqual([
      "authorization_code",
      "refresh_token"
    ])
    for (const span of tokenSpans) {
      expect(span.attributes).toMatchObject({
        "ultracart.client_id": "tracing-example",
        "ultracart.endpoint": "/oauth/token"
      })
    }
    expect(tokenSpans[0]?.parentSpanContext?.spanId).toBe(login?.spanContext().spanId)
    expect(tokenSpans[1]?.parentSpanContext?.spanId).toBe(refresh?.spanContext().spanId)
    const [me] = byName(spans, "UltraCartOAuth /oauth/me")
    expect(me?.parentSpanContext?.spanId).toBe(login?.spanContext().spanId)
    // The transport's HTTP spans are under the calls, with the secret headers redacted.
    const http = spans.filter((span) => span.name.startsWith("http.client"))
    expect(http.length).toBeGreaterThanOrEqual(3)
    const headerAttributes = http.flatMap((span) =>
      Object.entries(span.attributes).filter(([key]) => /authorization|simple-key/.test(key))
    )
    expect(headerAttributes.length).toBeGreaterThan(0)
    for (const [, value] of headerAttributes) expect(value).toBe("<redacted>")

    // Every secret that crossed the wire, as the fake recorded it.
    const requests = yield* fake.requests
    const secrets = [
      Redacted.value(SIMPLE_KEY),
      Redacted.value(refreshed.accessToken),
      ...requests.flatMap((r) => [r.form["code"], r.form["refresh_token"], r.query["state"]]),
      ...requests.map((r) => r.headers["authorization"]?.replace(/^Bearer /, ""))
    ].filter((secret): secret is string => secret !== undefined && secret !== "")
    expect(secrets.length).toBeGreaterThanOrEqual(5)
    const text = spans.map(exported).join("\n")
    for (const secret of secrets) expect(text).not.toContain(secret)
  }).pipe(Effect.provide(Layer.merge(FakeLive, TracingTest)))
})

/**
 * Nothing secret leaves the routes where it should not: through a whole connect (and a replay, a tampered state, a
 * denial, a disconnect) with the platform's request logger on, every log line at the most verbose level and every
 * span recorded, no code, `state`, token or cookie value appears in a log line, a span, a page or a redirect back
 * into the app. (The one place `state` must go is the redirect to UltraCart's authorize URL.)
 */
import { expect, it } from "@effect/vitest"
import * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import { Effect, Logger, LogLevel, Redacted, Tracer } from "effect"
import { approveAt, Browser, paramOf, startApp, ultraCart } from "./utils/app.js"

it.scoped("no code, state, token or cookie value in logs, spans, pages or redirects into the app", () =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const spans: Array<Tracer.Span> = []
    const native = yield* Effect.tracer
    const tracer = Tracer.make({
      span: (...args) => {
        const span = native.span(...args)
        spans.push(span)
        return span
      },
      context: native.context
    })
    const logger = Logger.make((options) => void lines.push(Logger.logfmtLogger.log(options)))

    const secrets = yield* Effect.gen(function* () {
      const { origin } = yield* startApp()
      const fake = yield* FakeUltraCart.FakeUltraCart
      const grants = yield* MerchantGrants.MerchantGrants
      const browser = new Browser()
      const found: Array<string> = []
      const start = yield* browser.request(`${origin}/connect/start?return_to=/merchants`)
      found.push(paramOf(start.location, "state"), ...browser.cookies.values())
      const callback = yield* approveAt(start.location, "ACME")
      found.push(paramOf(callback, "code"))
      const tampered = new URL(callback)
      tampered.searchParams.set("state", `${paramOf(callback, "state")}x`)
      yield* browser.request(tampered.toString())
      yield* browser.request(callback)
      yield* browser.request(callback)
      const tokens = yield* grants.tokens("ACME")
      found.push(Redacted.value(tokens.accessToken))
      if (tokens.refreshToken._tag === "Some") found.push(Redacted.value(tokens.refreshToken.value))
      const denied = yield* browser.request(`${origin}/connect/start`)
      found.push(paramOf(denied.location, "state"), ...browser.cookies.values())
      yield* browser.request(yield* fake.deny(denied.location ?? ""))
      const page = yield* browser.request(`${origin}/form`)
      const token = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] ?? ""
      found.push(...browser.cookies.values())
      yield* browser.request(`${origin}/connect/disconnect`, {
        form: { merchant: "ACME", csrf_token: token },
        headers: { origin, "sec-fetch-site": "same-origin" }
      })
      return { found, browser, origin }
    }).pipe(
      Effect.withTracer(tracer),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.All)
    )

    const { browser, origin } = secrets
    const found = secrets.found.filter((s) => s.length >= 16)
    expect(found.length).toBeGreaterThanOrEqual(7)
    const intoTheApp = browser.answers
      .filter((a) => a.location === null || a.location.startsWith(origin))
      .map((a) => `${a.location ?? ""}\n${a.body}`)
    const spanText = spans.map((span) =>
      JSON.stringify(
        { name: span.name, attributes: [...span.attributes], events: "events" in span ? span.events : [] },
        (_key, value) => (typeof value === "bigint" ? String(value) : value)
      )
    )
    // The platform's request logger ran (and logged the routes it may), and spans were made.
    expect(lines.some((line) => line.includes("http.url=/connect/start"))).toBe(true)
    expect(lines.some((line) => line.includes("connect callback answered"))).toBe(true)
    expect(spanText.some((s) => s.includes("http.server GET"))).toBe(true)
    for (const secret of found) {
      expect({ secret, where: "log" }).toEqual({
        secret,
        where: lines.some((l) => l.includes(secret)) ? "LEAK" : "log"
      })
      expect({ secret, where: "span" }).toEqual({
        secret,
        where: spanText.some((s) => s.includes(secret)) ? "LEAK" : "span"
      })
      expect({ secret, where: "page" }).toEqual({
        secret,
        where: intoTheApp.some((s) => s.includes(secret)) ? "LEAK" : "page"
      })
    }
  }).pipe(Effect.provide(ultraCart()))
)

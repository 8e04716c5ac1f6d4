/**
 * The fake's consent page (`AuthorizeDecision.consentPage()`): `GET /oauth/authorize` shows an HTML page with
 * approve and deny buttons; the merchant's click posts back and the fake redirects to the app — in memory and on
 * a loopback socket alike.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { Effect, Layer, Option, Redacted, TestClock } from "effect"
import { AuthorizeDecision, FakeUltraCart } from "../src/index.js"
import * as FakeUltraCartServer from "../src/FakeUltraCartServer.js"

const REDIRECT = "https://app.example.test/oauth/callback"

type Env = OAuthClient.OAuthClient | FakeUltraCart.FakeUltraCart | HttpClient.HttpClient

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
}

/** One request, redirects not followed. */
const send = (method: "GET" | "POST", url: string, form?: Record<string, string>) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    let request = HttpClientRequest.make(method)(url)
    if (form !== undefined) request = HttpClientRequest.bodyUrlParams(request, form)
    const response = yield* client.execute(request)
    return { status: response.status, headers: response.headers, text: yield* response.text } satisfies Answer
  })

/** The consent id the page's form carries. */
const consentIdOf = (page: Answer): string => /name="consent" value="([^"]+)"/.exec(page.text)?.[1] ?? "missing"

/** Builds an authorize URL, follows the fake's hop to its consent page and reads the page. */
const openConsentPage = Effect.gen(function* () {
  const client = yield* OAuthClient.OAuthClient
  const { state, url } = yield* client.authorizationUrl({ redirectUri: REDIRECT })
  const hop = yield* send("GET", url)
  expect(hop.status).toBe(302)
  const pageUrl = hop.headers["location"] ?? ""
  const page = yield* send("GET", pageUrl)
  return { state, url, pageUrl, page, id: consentIdOf(page) }
})

const authorizeUrlOf = Effect.map(FakeUltraCart.FakeUltraCart, (fake) => `${fake.baseUrl}/oauth/authorize`)

const suite = (
  name: string,
  fakeEnv: (
    options: FakeUltraCart.FakeUltraCartOptions
  ) => Layer.Layer<FakeUltraCart.FakeUltraCart | HttpClient.HttpClient, unknown>
) => {
  const run = <A, E>(effect: Effect.Effect<A, E, Env>, options: FakeUltraCart.FakeUltraCartOptions = {}) =>
    effect.pipe(
      Effect.provide(
        FakeUltraCart.clientLayer().pipe(
          Layer.provideMerge(fakeEnv({ authorizeDecision: AuthorizeDecision.consentPage(), ...options }))
        )
      ),
      Effect.orDie
    )

  describe(`${name}: consent page`, () => {
    it.effect(
      "shows the app, its permissions, a merchant id field and approve/deny buttons — and never the state",
      () =>
        run(
          Effect.gen(function* () {
            const { page, pageUrl, state } = yield* openConsentPage
            expect(page.status).toBe(200)
            expect(page.headers["content-type"]).toMatch(/^text\/html/)
            expect(page.headers["x-frame-options"]).toBe("DENY")
            expect(page.headers["cache-control"]).toBe("no-store")
            expect(page.text).toContain("Authorize fake-ultracart-app")
            expect(page.text).toContain("<li>order_read</li>")
            expect(page.text).toMatch(/<input id="merchant_id" name="merchant_id" value="DEMO"/)
            expect(page.text).toMatch(/<button type="submit" name="decision" value="approve">Approve<\/button>/)
            expect(page.text).toMatch(/<button type="submit" name="decision" value="deny"[^>]*>Deny<\/button>/)
            expect(page.text).not.toContain(Redacted.value(state))
            expect(pageUrl).not.toContain(Redacted.value(state))
          })
        )
    )

    it.effect("approve: 303 to the redirect URI with code and state, for the merchant typed in", () =>
      run(
        Effect.gen(function* () {
          const client = yield* OAuthClient.OAuthClient
          const { id, state } = yield* openConsentPage
          const back = yield* send("POST", yield* authorizeUrlOf, {
            consent: id,
            merchant_id: "ACME",
            decision: "approve"
          })
          expect(back.status).toBe(303)
          const location = back.headers["location"] ?? ""
          expect(location.startsWith(`${REDIRECT}?`)).toBe(true)
          const code = yield* client.parseCallback(location, state)
          const tokens = yield* client.exchangeCode({ code, redirectUri: REDIRECT })
          expect((yield* client.me({ accessToken: tokens.accessToken })).merchantId).toEqual(Option.some("ACME"))
        })
      )
    )

    it.effect("deny: 303 to the redirect URI with error=access_denied and state", () =>
      run(
        Effect.gen(function* () {
          const client = yield* OAuthClient.OAuthClient
          const { id, state } = yield* openConsentPage
          const back = yield* send("POST", yield* authorizeUrlOf, { consent: id, decision: "deny" })
          expect(back.status).toBe(303)
          const denied = yield* Effect.flip(client.parseCallback(back.headers["location"] ?? "", state))
          expect(denied._tag).toBe("AuthorizationDenied")
        })
      )
    )

    it.effect("each page is answered once: a second click, or the page after it, is a 400 page without redirect", () =>
      run(
        Effect.gen(function* () {
          const { id, pageUrl } = yield* openConsentPage
          const target = yield* authorizeUrlOf
          const click = { consent: id, merchant_id: "ACME", decision: "approve" }
          expect((yield* send("POST", target, click)).status).toBe(303)
          const again = yield* send("POST", target, click)
          expect(again.status).toBe(400)
          expect(again.headers["location"]).toBeUndefined()
          expect(again.text).toContain("unknown, expired or already answered")
          expect((yield* send("GET", pageUrl)).status).toBe(400)
          expect((yield* send("POST", target, { ...click, consent: "made-up" })).status).toBe(400)
        })
      )
    )

    it.effect("a page left open longer than a code lives is gone", () =>
      run(
        Effect.gen(function* () {
          const { id } = yield* openConsentPage
          yield* TestClock.adjust("11 minutes")
          const late = yield* send("POST", yield* authorizeUrlOf, {
            consent: id,
            merchant_id: "ACME",
            decision: "approve"
          })
          expect(late.status).toBe(400)
          expect(late.headers["location"]).toBeUndefined()
        })
      )
    )

    it.effect("an unusable merchant id shows the page again with the problem; the page still works after", () =>
      run(
        Effect.gen(function* () {
          const { id } = yield* openConsentPage
          const target = yield* authorizeUrlOf
          const bad = yield* send("POST", target, { consent: id, merchant_id: "<script>", decision: "approve" })
          expect(bad.status).toBe(400)
          expect(bad.text).toContain('role="alert"')
          expect(bad.text).not.toContain("<script>")
          const unchosen = yield* send("POST", target, { consent: id, merchant_id: "ACME" })
          expect(unchosen.status).toBe(400)
          const good = yield* send("POST", target, { consent: id, merchant_id: "ACME", decision: "approve" })
          expect(good.status).toBe(303)
        })
      )
    )

    it.effect("a fixed merchant: no field, the page names it, and approving connects it", () =>
      run(
        Effect.gen(function* () {
          const client = yield* OAuthClient.OAuthClient
          const { id, page, state } = yield* openConsentPage
          expect(page.text).not.toContain('name="merchant_id"')
          expect(page.text).toContain('<strong id="merchant">BOLT</strong>')
          const back = yield* send("POST", yield* authorizeUrlOf, {
            consent: id,
            merchant_id: "OTHER",
            decision: "approve"
          })
          const code = yield* client.parseCallback(back.headers["location"] ?? "", state)
          const tokens = yield* client.exchangeCode({ code, redirectUri: REDIRECT })
          expect((yield* client.me({ accessToken: tokens.accessToken })).merchantId).toEqual(Option.some("BOLT"))
        }),
        { authorizeDecision: AuthorizeDecision.consentPage({ merchantId: "BOLT", askMerchantId: false }) }
      )
    )

    it.effect(
      "the checks come first: an unknown app or unregistered redirect URI is a 400, a missing state an error redirect",
      () =>
        run(
          Effect.gen(function* () {
            const client = yield* OAuthClient.OAuthClient
            const { url } = yield* client.authorizationUrl({ redirectUri: REDIRECT })
            const evil = new URL(url)
            evil.searchParams.set("redirect_uri", "https://evil.example.test/cb")
            const refused = yield* send("GET", evil.toString())
            expect(refused.status).toBe(400)
            expect(refused.headers["location"]).toBeUndefined()
            const stateless = new URL(url)
            stateless.searchParams.delete("state")
            const back = yield* send("GET", stateless.toString())
            expect(back.status).toBe(302)
            expect(new URL(back.headers["location"] ?? "").searchParams.get("error")).toBe("invalid_request")
          })
        )
    )

    it.effect("without the consent page, GET /oauth/authorize still decides at once (approve by default)", () =>
      run(
        Effect.gen(function* () {
          const client = yield* OAuthClient.OAuthClient
          const { state, url } = yield* client.authorizationUrl({ redirectUri: REDIRECT })
          const back = yield* send("GET", url)
          expect(back.status).toBe(302)
          yield* client.parseCallback(back.headers["location"] ?? "", state)
        }),
        { authorizeDecision: AuthorizeDecision.approve() }
      )
    )
  })
}

suite("in memory", FakeUltraCart.layer)
suite("loopback", (options) =>
  Layer.merge(
    FakeUltraCartServer.layer(options),
    // The browser's part is played here: redirects are read, not followed.
    FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" })))
  ))

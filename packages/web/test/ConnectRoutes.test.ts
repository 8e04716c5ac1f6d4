/**
 * The connect routes on a real loopback HTTP server, driven like a browser (cookies kept, redirects read), over
 * the grant registry and the in-memory fake UltraCart.
 */
import { describe, expect, it } from "@effect/vitest"
import * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import { Effect, Option, Redacted, TestClock } from "effect"
import { approveAt, Browser, flowCookies, paramOf, startApp, ultraCart } from "./utils/app.js"

const merchants = Effect.flatMap(MerchantGrants.MerchantGrants, (grants) => Effect.map(grants.list(), (p) => p.keys))

/** The merchant's access token's status at the fake. */
const tokenStatus = (key: string) =>
  Effect.gen(function* () {
    const grants = yield* MerchantGrants.MerchantGrants
    const fake = yield* FakeUltraCart.FakeUltraCart
    const tokens = yield* grants.tokens(key)
    return Option.map(yield* fake.inspectToken(tokens.accessToken), (info) => info.status)
  })

/** start → UltraCart approves → the callback URL, in a browser. */
const startAndApprove = (origin: string, browser: Browser, merchantId: string, returnTo = "/merchants") =>
  Effect.gen(function* () {
    const start = yield* browser.request(`${origin}/connect/start?return_to=${encodeURIComponent(returnTo)}`)
    expect(start.status).toBe(302)
    return yield* approveAt(start.location, merchantId)
  })

/** The error page's tag and reason. */
const pageError = (body: string) =>
  (/data-error="([^"]+)"(?: data-reason="([^"]+)")?/.exec(body)?.slice(1) ?? []).filter((part) => part !== undefined)

describe("connect", () => {
  it.scoped("start → UltraCart → callback connects the merchant and lands on the return address", () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp()
      const browser = new Browser()
      const start = yield* browser.request(`${origin}/connect/start?return_to=%2Fmerchants%3Fpage%3D2`)
      expect(start.status).toBe(302)
      const authorize = new URL(start.location ?? "")
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${FakeUltraCart.DEFAULT_BASE_URL}/oauth/authorize`)
      expect(authorize.searchParams.get("redirect_uri")).toBe(`${origin}/connect/callback`)
      expect(authorize.searchParams.get("code_challenge")).toBeNull()
      const [flowCookie] = start.setCookies
      expect(flowCookie).toMatch(/^ucoauth-flow-[A-Za-z0-9_-]{16}=/)
      expect(flowCookie).toMatch(/; Max-Age=600; Path=\/connect; HttpOnly; SameSite=Lax$/)
      expect(flowCookie).not.toContain("Secure")

      const callback = yield* approveAt(start.location, "ACME")
      const landed = yield* browser.request(callback)
      expect(landed.status).toBe(303)
      expect(landed.location).toBe(`${origin}/merchants?page=2&connected=ACME`)
      expect(flowCookies(browser)).toEqual([])
      expect(yield* merchants).toEqual(["ACME"])
      expect(yield* tokenStatus("ACME")).toEqual(Option.some("active"))
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped("two flows at once in one browser (two tabs) each complete", () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp()
      const browser = new Browser()
      const first = yield* startAndApprove(origin, browser, "ACME")
      const second = yield* startAndApprove(origin, browser, "BOLT")
      expect(flowCookies(browser).length).toBe(2)
      expect((yield* browser.request(second)).location).toContain("connected=BOLT")
      expect((yield* browser.request(first)).location).toContain("connected=ACME")
      expect(yield* merchants).toEqual(["ACME", "BOLT"])
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped("a replayed callback is refused before UltraCart sees the code again: the grant stays whole", () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp()
      const fake = yield* FakeUltraCart.FakeUltraCart
      const browser = new Browser()
      const start = yield* browser.request(`${origin}/connect/start`)
      const [cookieName, cookieValue] = [...browser.cookies][0] ?? ["", ""]
      const callback = yield* approveAt(start.location, "ACME")
      expect((yield* browser.request(callback)).status).toBe(303)
      const exchanges = yield* fake.requestCount({ endpoint: "token", grantType: "authorization_code" })

      // The same browser, back in history; and someone holding a copy of the URL and the used cookie.
      const again = yield* browser.request(callback)
      expect([again.status, ...pageError(again.body)]).toEqual([400, "ConnectFlowRejected", "Replayed"])
      const thief = new Browser()
      thief.cookies.set(cookieName, cookieValue)
      const stolen = yield* thief.request(callback)
      expect([stolen.status, ...pageError(stolen.body)]).toEqual([400, "ConnectFlowRejected", "Replayed"])

      expect(yield* fake.requestCount({ endpoint: "token", grantType: "authorization_code" })).toBe(exchanges)
      expect(yield* tokenStatus("ACME")).toEqual(Option.some("active"))
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped("a tampered state finds no flow; the real callback still works after it (nothing lost)", () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp()
      const browser = new Browser()
      const callback = yield* startAndApprove(origin, browser, "ACME")
      const tampered = new URL(callback)
      const state = paramOf(callback, "state")
      tampered.searchParams.set("state", `${state.slice(0, -1)}${state.endsWith("x") ? "y" : "x"}`)
      const refused = yield* browser.request(tampered.toString())
      expect([refused.status, ...pageError(refused.body)]).toEqual([400, "ConnectFlowRejected", "NotFound"])
      expect(flowCookies(browser).length).toBe(1)
      expect(yield* merchants).toEqual([])
      expect((yield* browser.request(callback)).location).toContain("connected=ACME")
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped("a forged flow cookie is refused and does not use up the flow; no cookie at all is NotFound", () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp()
      const browser = new Browser()
      const callback = yield* startAndApprove(origin, browser, "ACME")
      const [name = "", value = ""] = [...browser.cookies][0] ?? []
      const forger = new Browser()
      const [payload, mac] = value.split(".")
      forger.cookies.set(name, `${payload?.slice(0, -2)}AA.${mac}`)
      const forged = yield* forger.request(callback)
      expect([forged.status, ...pageError(forged.body)]).toEqual([400, "ConnectFlowRejected", "Forged"])
      const cookieless = yield* new Browser().request(callback)
      expect([cookieless.status, ...pageError(cookieless.body)]).toEqual([400, "ConnectFlowRejected", "NotFound"])
      expect((yield* browser.request(callback)).location).toContain("connected=ACME")
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped("a flow older than its lifetime is Expired, even if the browser still sends its cookie", () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp({ flowLifetime: "2 minutes" })
      const browser = new Browser()
      const callback = yield* startAndApprove(origin, browser, "ACME")
      yield* TestClock.adjust("2 minutes")
      const late = yield* browser.request(callback)
      expect([late.status, ...pageError(late.body)]).toEqual([400, "ConnectFlowRejected", "Expired"])
      expect(yield* merchants).toEqual([])
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped('the merchant\'s "no" is a clear 403 page; the flow is used up and nothing is stored', () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp()
      const fake = yield* FakeUltraCart.FakeUltraCart
      const browser = new Browser()
      const start = yield* browser.request(`${origin}/connect/start`)
      const denied = yield* browser.request(yield* fake.deny(start.location ?? ""))
      expect([denied.status, ...pageError(denied.body)]).toEqual([403, "AuthorizationDenied"])
      expect(denied.body).toContain("Connection declined")
      expect(flowCookies(browser)).toEqual([])
      const expired = yield* browser.request(
        yield* fake.expire((yield* browser.request(`${origin}/connect/start`)).location ?? "")
      )
      expect([expired.status, ...pageError(expired.body)]).toEqual([400, "AuthorizationExpired"])
      // UltraCart may leave state off an error redirect: the error is still shown, and nothing else is done.
      const stateless = yield* browser.request(`${origin}/connect/callback?error=access_denied`)
      expect([stateless.status, ...pageError(stateless.body)]).toEqual([403, "AuthorizationDenied"])
      const bare = yield* browser.request(`${origin}/connect/callback?code=abc`)
      expect([bare.status, ...pageError(bare.body)]).toEqual([400, "ConnectFlowRejected", "NoState"])
      expect(yield* merchants).toEqual([])
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped("an open redirect is impossible: another origin as return address is refused at start", () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp({ allowedReturnOrigins: ["https://shop.example.test"] })
      const browser = new Browser()
      for (const evil of ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]) {
        const refused = yield* browser.request(`${origin}/connect/start?return_to=${encodeURIComponent(evil)}`)
        expect([evil, refused.status, refused.location, ...pageError(refused.body)]).toEqual([
          evil,
          400,
          null,
          "ReturnAddressRejected",
          evil.startsWith("javascript") ? "NotAllowed" : expect.any(String)
        ])
      }
      expect(flowCookies(browser)).toEqual([])
      const callback = yield* startAndApprove(origin, browser, "ACME", "https://shop.example.test/done")
      expect((yield* browser.request(callback)).location).toBe("https://shop.example.test/done?connected=ACME")
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped("with PKCE on, the challenge goes to UltraCart and the verifier with the exchange", () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp({ pkce: true })
      const fake = yield* FakeUltraCart.FakeUltraCart
      const browser = new Browser()
      const start = yield* browser.request(`${origin}/connect/start`)
      expect(paramOf(start.location, "code_challenge_method")).toBe("S256")
      const challenge = paramOf(start.location, "code_challenge")
      expect((yield* browser.request(yield* approveAt(start.location, "ACME"))).status).toBe(303)
      const exchange = (yield* fake.requests).find((r) => r.grantType === "authorization_code")
      const verifier = exchange?.form["code_verifier"] ?? ""
      const digest = yield* Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)))
      expect(Buffer.from(digest).toString("base64url")).toBe(challenge)
    }).pipe(Effect.provide(ultraCart()))
  )
})

describe("disconnect", () => {
  /** A connected merchant and a browser that has loaded the app's page with the disconnect form. */
  const connectedWithForm = Effect.gen(function* () {
    const { origin, routes } = yield* startApp()
    const browser = new Browser()
    yield* browser.request(yield* startAndApprove(origin, browser, "ACME"))
    const page = yield* browser.request(`${origin}/form`)
    const token = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] ?? ""
    return { origin, routes, browser, token }
  })

  const sameOrigin = (origin: string) => ({ origin, "sec-fetch-site": "same-origin" })

  it.scoped("a form from the app's own page disconnects: revoked at UltraCart, gone from the store", () =>
    Effect.gen(function* () {
      const { browser, origin, token } = yield* connectedWithForm
      const grants = yield* MerchantGrants.MerchantGrants
      const fake = yield* FakeUltraCart.FakeUltraCart
      const accessToken = (yield* grants.tokens("ACME")).accessToken
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const done = yield* browser.request(`${origin}/connect/disconnect`, {
        form: { merchant: "ACME", csrf_token: token, return_to: "/merchants" },
        headers: sameOrigin(origin)
      })
      expect(done.status).toBe(303)
      expect(done.location).toBe(`${origin}/merchants?disconnected=ACME`)
      expect(yield* merchants).toEqual([])
      expect(Option.map(yield* fake.inspectToken(accessToken), (i) => i.status)).toEqual(Option.some("revoked"))
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped("refused without this browser's token, from another site, or when the app says no — nothing revoked", () =>
    Effect.gen(function* () {
      const { browser, origin, token } = yield* connectedWithForm
      const post = (b: Browser, form: Record<string, string>, headers: Record<string, string>) =>
        Effect.map(b.request(`${origin}/connect/disconnect`, { form, headers }), (a) => [
          a.status,
          ...pageError(a.body)
        ])
      const form = { merchant: "ACME", csrf_token: token }
      expect(yield* post(browser, { merchant: "ACME" }, sameOrigin(origin))).toEqual([
        403,
        "DisconnectRefused",
        "Token"
      ])
      // The token with its last character changed (to another one: a token may end in "A" already).
      const tampered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`
      expect(yield* post(browser, { ...form, csrf_token: tampered }, sameOrigin(origin))).toEqual([
        403,
        "DisconnectRefused",
        "Token"
      ])
      // Another browser: the token is bound to the first one's cookie.
      const other = new Browser()
      yield* other.request(`${origin}/form`)
      expect(yield* post(other, form, sameOrigin(origin))).toEqual([403, "DisconnectRefused", "Token"])
      expect(yield* post(browser, form, { origin: "https://evil.example" })).toEqual([
        403,
        "DisconnectRefused",
        "CrossSite"
      ])
      expect(yield* post(browser, form, { "sec-fetch-site": "cross-site" })).toEqual([
        403,
        "DisconnectRefused",
        "CrossSite"
      ])
      // A body larger than any disconnect form is not read at all.
      expect(yield* post(browser, { ...form, padding: "x".repeat(20_000) }, sameOrigin(origin))).toEqual([
        403,
        "DisconnectRefused",
        "Token"
      ])
      expect(yield* post(browser, { ...form, merchant: "" }, sameOrigin(origin))).toEqual([
        403,
        "DisconnectRefused",
        "NoMerchant"
      ])
      expect(yield* merchants).toEqual(["ACME"])
      expect(yield* tokenStatus("ACME")).toEqual(Option.some("active"))
    }).pipe(Effect.provide(ultraCart()))
  )

  it.scoped("canDisconnect decides who may disconnect which merchant", () =>
    Effect.gen(function* () {
      const { origin } = yield* startApp({ canDisconnect: (key) => Effect.succeed(key !== "ACME") })
      const browser = new Browser()
      yield* browser.request(yield* startAndApprove(origin, browser, "ACME"))
      const page = yield* browser.request(`${origin}/form`)
      const token = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] ?? ""
      const refused = yield* browser.request(`${origin}/connect/disconnect`, {
        form: { merchant: "ACME", csrf_token: token },
        headers: sameOrigin(origin)
      })
      expect([refused.status, ...pageError(refused.body)]).toEqual([403, "DisconnectRefused", "NotAllowed"])
      expect(yield* merchants).toEqual(["ACME"])
    }).pipe(Effect.provide(ultraCart()))
  )
})

describe("configuration", () => {
  it.scoped(
    "a short secret, a plain-http origin off loopback, an unusable path, default return or lifetime is a ConfigError",
    () =>
      Effect.gen(function* () {
        const { origin } = yield* startApp()
        const fail = (options: Parameters<typeof startApp>[0]) => Effect.flip(startApp(options))
        expect(String(yield* fail({ secret: Redacted.make("too short") }))).toContain("secret")
        expect(String(yield* fail({ appOrigin: "http://app.example.test" }))).toContain("appOrigin")
        expect(String(yield* fail({ path: "/a b" }))).toContain("path")
        expect(String(yield* fail({ defaultReturnTo: "https://evil.example/" }))).toContain("defaultReturnTo")
        expect(String(yield* fail({ flowLifetime: "0 seconds" }))).toContain("flowLifetime")
        expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      }).pipe(Effect.provide(ultraCart()))
  )
})

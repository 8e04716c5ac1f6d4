/**
 * The grant registry against the fake UltraCart (in memory, on the TestClock): merchants connected through the
 * browser leg, their tokens kept apart and fresh, events as they happen, managers let go when idle.
 */
import { describe, expect, it } from "@effect/vitest"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import { FakeUltraCart, Fault } from "@ultracart-oauth/testing"
import {
  Chunk,
  DateTime,
  Effect,
  Exit,
  Fiber,
  Layer,
  Metric,
  type MetricState,
  Option,
  Queue,
  Redacted,
  Scope,
  Stream,
  TestClock
} from "effect"
import type { GrantEvent } from "../src/GrantEvent.js"
import * as MerchantGrants from "../src/MerchantGrants.js"
import * as TokenStore from "../src/TokenStore.js"
import { FlakyStore } from "./TokenFixtures.js"

const REDIRECT = "https://app.example.test/oauth/callback"
const REFRESH = { endpoint: "token", grantType: "refresh_token" } as const

const stack = (options: MerchantGrants.MerchantGrantsOptions = {}, store = TokenStore.layerMemory) =>
  MerchantGrants.layer({ api: { baseUrl: FakeUltraCart.DEFAULT_BASE_URL }, ...options }).pipe(
    Layer.provideMerge(store),
    Layer.provideMerge(FakeUltraCart.clientLayer()),
    Layer.provideMerge(FakeUltraCart.layer()),
    Layer.orDie
  )

/** The browser leg for one merchant: authorize URL, approval on the fake, callback checked, code connected. */
const connect = (merchantId: string) =>
  Effect.gen(function* () {
    const oauth = yield* OAuthClient.OAuthClient
    const fake = yield* FakeUltraCart.FakeUltraCart
    const grants = yield* MerchantGrants.MerchantGrants
    const { state, url } = yield* oauth.authorizationUrl({ redirectUri: REDIRECT })
    const callback = yield* fake.approve(url, { merchantId })
    const code = yield* oauth.parseCallback(callback, state)
    return yield* grants.connect({ code, redirectUri: REDIRECT })
  })

const merchantOf = (token: Redacted.Redacted<string>) =>
  Effect.flatMap(FakeUltraCart.FakeUltraCart, (fake) =>
    Effect.map(
      fake.inspectToken(token),
      Option.map((info) => `${info.merchantId}:${info.status}`)
    )
  )

const counter = (metric: Metric.Metric.Counter<number>) =>
  Effect.map(Metric.value(metric), (state: MetricState.MetricState.Counter<number>) => state.count)

const openManagers = Effect.map(Metric.value(MerchantGrants.metrics.managers), (state) => state.value)

const refreshCount = Effect.flatMap(FakeUltraCart.FakeUltraCart, (fake) => fake.requestCount(REFRESH))

/** Takes what the subscription has now. */
const drain = (queue: Queue.Dequeue<GrantEvent>) => Effect.map(Queue.takeAll(queue), Chunk.toReadonlyArray)

describe("MerchantGrants", () => {
  it.scoped("connects merchants through the browser leg, keyed by merchant id, and keeps their tokens apart", () =>
    Effect.gen(function* () {
      const grants = yield* MerchantGrants.MerchantGrants
      const a = yield* connect("ACME")
      const b = yield* connect("BOLT")
      expect([a.key, b.key]).toEqual(["ACME", "BOLT"])
      expect(a.identity.merchantId).toEqual(Option.some("ACME"))
      expect(yield* grants.list()).toEqual({ keys: ["ACME", "BOLT"], next: Option.none() })
      expect(yield* merchantOf(yield* grants.accessToken("ACME"))).toEqual(Option.some("ACME:active"))
      expect(yield* merchantOf(yield* grants.accessToken("BOLT"))).toEqual(Option.some("BOLT:active"))
      // The REST client speaks as the merchant.
      const me = yield* grants.client("BOLT").get("/oauth/me")
      expect(((yield* me.json) as { merchant_id: string }).merchant_id).toBe("BOLT")
    }).pipe(Effect.provide(stack()))
  )

  it.scoped("a merchant unknown to the store needs the merchant to connect: ReauthorizationRequired(NoTokens)", () =>
    Effect.gen(function* () {
      const grants = yield* MerchantGrants.MerchantGrants
      const exit = yield* Effect.exit(grants.tokens("NOBODY"))
      expect(exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "ReauthorizationRequired", reason: "NoTokens" })))
    }).pipe(Effect.provide(stack()))
  )

  it.scoped("reconnecting a merchant replaces its grant; events tell connected, refreshed and disconnected", () =>
    Effect.gen(function* () {
      const grants = yield* MerchantGrants.MerchantGrants
      const events = yield* grants.subscribe
      const first = yield* connect("ACME")
      const second = yield* connect("ACME")
      expect(second.tokens.version).toBe(first.tokens.version + 1)
      expect(yield* merchantOf(yield* grants.accessToken("ACME"))).toEqual(Option.some("ACME:active"))
      yield* TestClock.adjust("2 hours")
      const refreshed = yield* grants.tokens("ACME")
      expect(refreshed.version).toBe(3)
      const logout = yield* grants.disconnect("ACME")
      expect([logout.refreshToken._tag, logout.accessToken._tag]).toEqual(["Revoked", "Revoked"])
      expect((yield* drain(events)).map((e) => [e._tag, e.key, "version" in e ? e.version : "-"])).toEqual([
        ["Connected", "ACME", 1],
        ["Connected", "ACME", 2],
        ["Refreshed", "ACME", 3],
        ["Disconnected", "ACME", "-"]
      ])
      expect((yield* grants.list()).keys).toEqual([])
      expect(yield* merchantOf(refreshed.accessToken)).toEqual(Option.some("ACME:revoked"))
    }).pipe(Effect.provide(stack()))
  )

  it.scoped("the app learns once, as it happens, that a merchant whose grant UltraCart revoked must reconnect", () =>
    Effect.gen(function* () {
      const grants = yield* MerchantGrants.MerchantGrants
      const fake = yield* FakeUltraCart.FakeUltraCart
      const connected = yield* connect("ACME")
      yield* connect("BOLT")
      const stream = yield* Effect.fork(
        grants.events.pipe(
          Stream.filter((e) => e._tag === "ReauthorizationRequired"),
          Stream.take(1),
          Stream.runCollect
        )
      )
      yield* Effect.yieldNow()
      // The merchant removed the app in UltraCart.
      yield* fake.revoke(connected.tokens.accessToken)
      yield* TestClock.adjust("2 hours")
      for (let i = 0; i < 3; i++) {
        const exit = yield* Effect.exit(grants.tokens("ACME"))
        expect(exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "ReauthorizationRequired" })))
        yield* TestClock.adjust("2 minutes")
      }
      expect(Chunk.toReadonlyArray(yield* Fiber.join(stream))).toEqual([
        expect.objectContaining({ _tag: "ReauthorizationRequired", key: "ACME", reason: "InvalidGrant" })
      ])
      // The other merchant is untouched.
      expect(yield* merchantOf(yield* grants.accessToken("BOLT"))).toEqual(Option.some("BOLT:active"))
    }).pipe(Effect.provide(stack()))
  )

  it.scoped("per merchant one refresh however many callers: 10 merchants × 100 callers → 10 refreshes", () =>
    Effect.gen(function* () {
      const grants = yield* MerchantGrants.MerchantGrants
      const fake = yield* FakeUltraCart.FakeUltraCart
      const merchants = Array.from({ length: 10 }, (_, i) => `M${i}`)
      yield* Effect.forEach(merchants, connect, { discard: true })
      yield* TestClock.adjust("2 hours")
      yield* fake.injectFault(Fault.delay("1 second"), { ...REFRESH, times: Number.POSITIVE_INFINITY })
      const callers = yield* Effect.fork(
        Effect.forEach(
          merchants.flatMap((m) => Array.from({ length: 100 }, () => m)),
          (m) => Effect.map(grants.accessToken(m), (token) => [m, token] as const),
          { concurrency: "unbounded" }
        )
      )
      yield* TestClock.adjust("1 second")
      const answers = yield* Fiber.join(callers)
      expect(yield* refreshCount).toBe(10)
      for (const m of merchants) {
        const tokens = new Set(answers.filter(([k]) => k === m).map(([, t]) => Redacted.value(t)))
        expect(tokens.size).toBe(1)
        expect(yield* merchantOf(Redacted.make([...tokens][0]!))).toEqual(Option.some(`${m}:active`))
      }
    }).pipe(Effect.provide(stack()))
  )

  it.scoped("a merchant's manager is made once on first use, however many ask at once, and let go when idle", () =>
    Effect.gen(function* () {
      const grants = yield* MerchantGrants.MerchantGrants
      const base = yield* openManagers
      yield* connect("ACME")
      expect(yield* openManagers).toBe(base + 1)
      // Unused for between one and two idle times: let go.
      yield* TestClock.adjust("10 minutes")
      expect(yield* openManagers).toBe(base)
      const openedBefore = yield* counter(MerchantGrants.metrics.opened)
      yield* Effect.forEach(Array.from({ length: 50 }), () => grants.tokens("ACME"), {
        concurrency: "unbounded",
        discard: true
      })
      expect((yield* counter(MerchantGrants.metrics.opened)) - openedBefore).toBe(1)
      // Used within every idle time: kept.
      for (let i = 0; i < 6; i++) {
        yield* TestClock.adjust("4 minutes")
        yield* grants.tokens("ACME")
      }
      expect(yield* openManagers).toBe(base + 1)
      // Held in a scope: never let go, however long.
      const scope = yield* Scope.make()
      const manager = yield* Scope.extend(grants.manager("ACME"), scope)
      yield* TestClock.adjust("30 minutes")
      expect(yield* openManagers).toBe(base + 1)
      expect((yield* manager.status).refreshing).toBe(false)
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust("10 minutes")
      expect(yield* openManagers).toBe(base)
      expect((yield* counter(MerchantGrants.metrics.opened)) - openedBefore).toBe(1)
    }).pipe(Effect.provide(stack({ idleTimeToLive: "5 minutes" })))
  )

  it.scoped(
    "10,000 known merchants, 1,000 in use: only the ones in use are in memory",
    () =>
      Effect.gen(function* () {
        const grants = yield* MerchantGrants.MerchantGrants
        const store = yield* TokenStore.TokenStore
        for (let i = 0; i < 10_000; i++) {
          yield* store.save(`M${String(i).padStart(5, "0")}`, {
            accessToken: Redacted.make(`access-${i}`),
            refreshToken: Option.some(Redacted.make(`refresh-${i}`)),
            expiresAt: DateTime.unsafeMake(3_600_000),
            issuedAt: DateTime.unsafeMake(0),
            scope: Option.none()
          })
        }
        const base = yield* openManagers
        let page = yield* grants.list({ limit: 1000 })
        let known = page.keys.length
        while (Option.isSome(page.next)) {
          page = yield* grants.list({ after: page.next.value, limit: 1000 })
          known += page.keys.length
        }
        expect(known).toBe(10_000)
        for (let round = 0; round < 4; round++) {
          const inUse = Array.from({ length: 1000 }, (_, i) => `M${String(round * 1000 + i).padStart(5, "0")}`)
          yield* Effect.forEach(inUse, (key) => grants.tokens(key), { discard: true })
          expect((yield* openManagers) - base).toBeLessThanOrEqual(2000)
          yield* TestClock.adjust("5 minutes")
        }
        yield* TestClock.adjust("10 minutes")
        expect((yield* openManagers) - base).toBe(0)
      }).pipe(Effect.provide(stack({ idleTimeToLive: "5 minutes" }))),
    60_000
  )

  it.scoped("a grant that cannot be kept is revoked: no merchant id, or a store that refuses it", () =>
    Effect.gen(function* () {
      const flaky = new FlakyStore()
      const run = <A, E>(
        options: MerchantGrants.MerchantGrantsOptions,
        body: Effect.Effect<A, E, MerchantGrants.MerchantGrants | FakeUltraCart.FakeUltraCart | OAuthClient.OAuthClient>
      ) =>
        Effect.provide(
          body,
          stack(
            options,
            Layer.sync(TokenStore.TokenStore, () => flaky.service())
          )
        )
      const unidentified = yield* run(
        { keyOf: () => Option.none() },
        Effect.gen(function* () {
          const fake = yield* FakeUltraCart.FakeUltraCart
          const exit = yield* Effect.exit(connect("ACME"))
          const issued = (yield* fake.requests).filter((r) => r.endpoint === "revoke").length
          return { exit, issued }
        })
      )
      expect(unidentified.exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "MerchantUnidentified" })))
      expect(unidentified.issued).toBe(2)
      expect((yield* flaky.inner.list()).keys).toEqual([])
      flaky.failWrites = "Unavailable"
      const refused = yield* run(
        {},
        Effect.gen(function* () {
          const fake = yield* FakeUltraCart.FakeUltraCart
          const exit = yield* Effect.exit(connect("ACME"))
          const revoked = (yield* fake.requests).filter((r) => r.endpoint === "revoke").length
          return { exit, revoked }
        })
      )
      expect(refused.exit).toEqual(
        Exit.fail(expect.objectContaining({ _tag: "TokenStoreError", reason: "Unavailable" }))
      )
      expect(refused.revoked).toBe(2)
    })
  )

  it.scoped(
    "a merchant with a rotation the store has not taken is not let go, however idle",
    () =>
      Effect.gen(function* () {
        const flaky = new FlakyStore()
        yield* Effect.gen(function* () {
          const grants = yield* MerchantGrants.MerchantGrants
          const base = yield* openManagers
          yield* connect("ACME")
          yield* TestClock.adjust("2 hours")
          flaky.failWrites = "Unavailable"
          const served = yield* grants.tokens("ACME")
          expect(served.version).toBe(2)
          expect(yield* openManagers).toBe(base + 1)
          // Idle far past the idle time, the rotation still unstored: kept in memory, lease and all.
          yield* TestClock.adjust("5 minutes")
          expect(yield* openManagers).toBe(base + 1)
          flaky.failWrites = undefined
          yield* TestClock.adjust("2 minutes")
          expect(Option.map(yield* flaky.inner.load("ACME"), (t) => t.version)).toEqual(Option.some(2))
          yield* TestClock.adjust("3 minutes")
          expect(yield* openManagers).toBe(base)
        }).pipe(
          Effect.provide(
            stack(
              { idleTimeToLive: "1 minute" },
              Layer.sync(TokenStore.TokenStore, () => flaky.service())
            )
          )
        )
      }),
    30_000
  )
})

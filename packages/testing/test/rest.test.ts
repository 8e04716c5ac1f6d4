/**
 * The fake's REST endpoints (`FakeRest`), run against both forms of the fake: in memory and on a loopback socket.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { Duration, Effect, Layer, Redacted, TestClock } from "effect"
import { FakeRest, FakeUltraCart, Fault } from "../src/index.js"
import * as FakeUltraCartServer from "../src/FakeUltraCartServer.js"

type FakeEnv = (
  options: FakeUltraCart.FakeUltraCartOptions
) => Layer.Layer<FakeUltraCart.FakeUltraCart | HttpClient.HttpClient, unknown>

const SIMPLE_KEY = "simple-key-for-rest-tests"
const apps: ReadonlyArray<FakeUltraCart.ClientRegistration> = [
  { ...FakeUltraCart.DEFAULT_CLIENT, simpleKey: SIMPLE_KEY },
  { clientId: "no-orders", redirectUris: [], simpleKey: "key-without-order-read", permissions: ["item_read"] }
]

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: any
  readonly text: string
}

/** A GET below the fake's base URL with the version header and the given credential headers. */
const get = (path: string, headers: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const fake = yield* FakeUltraCart.FakeUltraCart
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(
      HttpClientRequest.get(`${fake.baseUrl}${path}`).pipe(
        HttpClientRequest.setHeaders({ "x-ultracart-api-version": OAuthClient.DEFAULT_API_VERSION, ...headers })
      )
    )
    const text = yield* response.text
    const answer: Answer = { status: response.status, headers: response.headers, body: JSON.parse(text), text }
    return answer
  })

const bearer = (token: Redacted.Redacted<string>) => ({ authorization: `Bearer ${Redacted.value(token)}` })

const tokensFor = (grant: { readonly merchantId?: string; readonly permissions?: ReadonlyArray<string> }) =>
  Effect.flatMap(FakeUltraCart.FakeUltraCart, (fake) =>
    fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId, ...grant })
  )

/** UltraCart's ErrorResponse, with the UC-REST-ERROR header. */
const expectErrorResponse = (answer: Answer, status: number) => {
  expect(answer.status).toBe(status)
  expect(answer.body).toMatchObject({ success: false, error: { developer_message: expect.any(String) } })
  expect(answer.headers["uc-rest-error"]).toBe(answer.body.error.developer_message)
}

const restSuite = (name: string, fakeEnv: FakeEnv): void => {
  const withFake = (options: FakeUltraCart.FakeUltraCartOptions = {}) =>
    Effect.provide(fakeEnv({ clients: apps, ...options }))

  describe(`${name}: REST order endpoints`, () => {
    it.effect("a bearer token with order_read lists its merchant's orders in UltraCart's OrdersResponse", () =>
      Effect.gen(function* () {
        const tokens = yield* tokensFor({ merchantId: "SHOP1", permissions: ["order_read"] })
        const answer = yield* get("/order/orders", bearer(tokens.accessToken))
        expect(answer.status).toBe(200)
        expect(answer.body.success).toBe(true)
        expect(answer.body.orders.map((o: FakeRest.FakeOrder) => o.order_id)).toEqual([
          "SHOP1-0000000001",
          "SHOP1-0000000002",
          "SHOP1-0000000003"
        ])
        expect(answer.body.orders[0]).toEqual(FakeRest.sampleOrders("SHOP1")[0])
        expect(answer.body.metadata.result_set).toEqual({
          count: 3,
          limit: 100,
          more: false,
          next_offset: null,
          offset: 0,
          total_records: 3
        })
        const fake = yield* FakeUltraCart.FakeUltraCart
        const [recorded] = yield* fake.requests
        expect(recorded).toMatchObject({ endpoint: "rest", path: "/order/orders", status: 200 })
        expect(yield* fake.requestCount({ endpoint: "rest" })).toBe(1)
      }).pipe(withFake())
    )

    it.effect("one order by id in OrderResponse; another merchant's or an unknown id is a 404 ErrorResponse", () =>
      Effect.gen(function* () {
        const tokens = yield* tokensFor({ merchantId: "SHOP1", permissions: ["order_read"] })
        const one = yield* get("/order/orders/SHOP1-0000000002", bearer(tokens.accessToken))
        expect(one.status).toBe(200)
        expect(one.body).toMatchObject({ success: true, order: { order_id: "SHOP1-0000000002", merchant_id: "SHOP1" } })
        expect(one.body.order.current_stage).toBe("Shipping Department")
        expectErrorResponse(yield* get("/order/orders/DEMO-0000000002", bearer(tokens.accessToken)), 404)
        expectErrorResponse(yield* get("/order/orders/nope", bearer(tokens.accessToken)), 404)
        expectErrorResponse(yield* get("/order/orders/SHOP1-0000000002/items", bearer(tokens.accessToken)), 404)
      }).pipe(withFake())
    )

    it.effect("a token without order_read gets a 403 ErrorResponse naming the scope, never the token", () =>
      Effect.gen(function* () {
        const tokens = yield* tokensFor({ permissions: ["item_read", "customer_read"] })
        for (const path of ["/order/orders", "/order/orders/DEMO-0000000001"]) {
          const answer = yield* get(path, bearer(tokens.accessToken))
          expectErrorResponse(answer, 403)
          expect(answer.body.error.error_code).toBe("insufficient_scope")
          expect(answer.body.error.developer_message).toContain("order_read")
          expect(answer.headers["www-authenticate"]).toContain('error="insufficient_scope"')
          expect(answer.text).not.toContain(Redacted.value(tokens.accessToken))
          expect(JSON.stringify(answer.headers)).not.toContain(Redacted.value(tokens.accessToken))
        }
      }).pipe(withFake())
    )

    it.effect("no credential, an unknown, an expired or a revoked token: 401 ErrorResponse", () =>
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        expectErrorResponse(yield* get("/order/orders"), 401)
        expectErrorResponse(yield* get("/order/orders", { authorization: "Bearer not-a-token" }), 401)
        const revoked = yield* tokensFor({ permissions: ["order_read"] })
        yield* fake.revoke(revoked.accessToken)
        expectErrorResponse(yield* get("/order/orders", bearer(revoked.accessToken)), 401)
        const expiring = yield* tokensFor({ permissions: ["order_read"] })
        expect((yield* get("/order/orders", bearer(expiring.accessToken))).status).toBe(200)
        yield* TestClock.adjust(Duration.hours(1))
        const expired = yield* get("/order/orders", bearer(expiring.accessToken))
        expectErrorResponse(expired, 401)
        expect(expired.body.error.developer_message).toContain("expired")
      }).pipe(withFake())
    )

    it.effect("a simple key registered with an app reads the fake's merchant's orders with the app's permissions", () =>
      Effect.gen(function* () {
        const answer = yield* get("/order/orders", { "x-ultracart-simple-key": SIMPLE_KEY })
        expect(answer.status).toBe(200)
        expect(answer.body.orders.map((o: FakeRest.FakeOrder) => o.merchant_id)).toEqual(["KEYS", "KEYS", "KEYS"])
        expectErrorResponse(yield* get("/order/orders", { "x-ultracart-simple-key": "wrong" }), 401)
        const noScope = yield* get("/order/orders", { "x-ultracart-simple-key": "key-without-order-read" })
        expectErrorResponse(noScope, 403)
        expect(noScope.headers["www-authenticate"]).toBeUndefined()
      }).pipe(withFake({ merchantId: "KEYS" }))
    )

    it.effect("_limit and _offset page through the orders; current_stage filters them; bad paging is a 400", () =>
      Effect.gen(function* () {
        const auth = bearer((yield* tokensFor({ permissions: ["order_read"] })).accessToken)
        const first = yield* get("/order/orders?_limit=2", auth)
        expect(first.body.orders.map((o: FakeRest.FakeOrder) => o.order_id)).toEqual([
          "DEMO-0000000001",
          "DEMO-0000000002"
        ])
        expect(first.body.metadata.result_set).toMatchObject({ count: 2, limit: 2, more: true, next_offset: 2 })
        const rest = yield* get("/order/orders?_limit=2&_offset=2", auth)
        expect(rest.body.orders.map((o: FakeRest.FakeOrder) => o.order_id)).toEqual(["DEMO-0000000003"])
        expect(rest.body.metadata.result_set).toMatchObject({ count: 1, more: false, next_offset: null, offset: 2 })
        const completed = yield* get("/order/orders?current_stage=Completed%20Order", auth)
        expect(completed.body.orders.map((o: FakeRest.FakeOrder) => o.order_id)).toEqual(["DEMO-0000000001"])
        for (const query of ["_limit=0", "_limit=201", "_limit=ten", "_offset=-1"]) {
          expectErrorResponse(yield* get(`/order/orders?${query}`, auth), 400)
        }
      }).pipe(withFake())
    )

    it.effect("configured orders are served to their merchant, and configure replaces them", () =>
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        const auth = bearer((yield* tokensFor({ merchantId: "SHOP1", permissions: ["order_read"] })).accessToken)
        const mine = { order_id: "SHOP1-42", merchant_id: "SHOP1", current_stage: "Completed Order", note: "kept" }
        const theirs = { order_id: "SHOP2-7", merchant_id: "SHOP2", current_stage: "Completed Order" }
        expect((yield* get("/order/orders", auth)).body.orders).toEqual([mine])
        expect((yield* get("/order/orders/SHOP1-42", auth)).body.order).toEqual(mine)
        yield* fake.configure({ orders: [theirs] })
        expect((yield* get("/order/orders", auth)).body.orders).toEqual([])
      }).pipe(
        withFake({
          orders: [
            { order_id: "SHOP1-42", merchant_id: "SHOP1", current_stage: "Completed Order", note: "kept" },
            { order_id: "SHOP2-7", merchant_id: "SHOP2", current_stage: "Completed Order" }
          ]
        })
      )
    )

    it.effect("the version header is required, only GET is allowed, and faults apply to endpoint 'rest'", () =>
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        const http = yield* HttpClient.HttpClient
        const auth = bearer((yield* tokensFor({ permissions: ["order_read"] })).accessToken)
        const unversioned = yield* http.execute(
          HttpClientRequest.get(`${fake.baseUrl}/order/orders`).pipe(HttpClientRequest.setHeaders(auth))
        )
        expect(unversioned.status).toBe(400)
        const post = yield* http.execute(
          HttpClientRequest.post(`${fake.baseUrl}/order/orders`).pipe(
            HttpClientRequest.setHeaders({ ...auth, "x-ultracart-api-version": OAuthClient.DEFAULT_API_VERSION })
          )
        )
        expect(post.status).toBe(405)
        yield* fake.injectFault(Fault.rateLimited({ retryAfter: "30 seconds" }), { endpoint: "rest" })
        const limited = yield* get("/order/orders", auth)
        expect(limited.status).toBe(429)
        expect(limited.headers["retry-after"]).toBe("30")
        expect((yield* get("/order/orders", auth)).status).toBe(200)
      }).pipe(withFake())
    )
  })
}

restSuite("in memory", FakeUltraCart.layer)
restSuite("loopback", (options) => Layer.merge(FakeUltraCartServer.layer(options), FetchHttpClient.layer))

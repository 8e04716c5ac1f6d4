/**
 * Decoding every success body into the library's models.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { client, clientLayer, fail, REDIRECT_URI, secrets, secretValues, tokenBody } from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const exchange = Effect.flatMap(client, (oauth) =>
  oauth.exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI })
)
const refresh = Effect.flatMap(client, (oauth) => oauth.refresh({ refreshToken: secrets.refreshToken }))
const authorizeDevice = Effect.flatMap(client, (oauth) => oauth.authorizeDevice({ scope: "crm" }))
const revoke = Effect.flatMap(client, (oauth) => oauth.revoke({ token: secrets.refreshToken }))
const me = Effect.flatMap(client, (oauth) => oauth.me({ accessToken: secrets.accessToken }))

describe("token responses", () => {
  it.effect("a documented body decodes, secrets as Redacted", () =>
    Effect.gen(function* () {
      const token = yield* exchange
      expect(Redacted.isRedacted(token.accessToken)).toBe(true)
      expect(Redacted.value(token.accessToken)).toBe(secretValues.accessToken)
      expect(Option.map(token.refreshToken, Redacted.value)).toEqual(Option.some(secretValues.refreshToken))
      expect(token.tokenType).toBe("bearer")
      expect(token.expiresIn).toEqual(Option.some(3600))
      expect(token.scope).toEqual(Option.some("order_read item_write"))
      // Printing the result shows no token.
      expect(JSON.stringify(token)).not.toContain(secretValues.accessToken)
      expect(JSON.stringify(token)).not.toContain(secretValues.refreshToken)
      expect(String(token.accessToken)).toBe("<redacted>")
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, tokenBody))))
  )

  const expiresIn = [
    { wire: 3600, expected: Option.some(3600) },
    { wire: "3600", expected: Option.some(3600) },
    { wire: "0", expected: Option.some(0) },
    { wire: undefined, expected: Option.none() }
  ]
  for (const { expected, wire } of expiresIn) {
    it.effect(`expires_in ${JSON.stringify(wire)} reads as ${String(expected)}`, () =>
      Effect.gen(function* () {
        expect((yield* exchange).expiresIn).toEqual(expected)
      }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, { ...tokenBody, expires_in: wire }))))
    )
  }

  for (const tokenType of ["bearer", "Bearer", "BEARER", undefined]) {
    it.effect(`token_type ${JSON.stringify(tokenType)} reads as bearer`, () =>
      Effect.gen(function* () {
        expect((yield* exchange).tokenType).toBe("bearer")
      }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, { ...tokenBody, token_type: tokenType }))))
    )
  }

  it.effect("a token type other than bearer is refused", () =>
    Effect.gen(function* () {
      const error = yield* fail(exchange)
      expect(error).toMatchObject({
        _tag: "MalformedResponse",
        reason: "Schema",
        issues: ["token_type: is not bearer"]
      })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, { ...tokenBody, token_type: "mac" }))))
  )

  it.effect("unknown members are ignored", () =>
    Effect.gen(function* () {
      const token = yield* exchange
      expect(Redacted.value(token.accessToken)).toBe(secretValues.accessToken)
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.json(200, { ...tokenBody, id_token: "x.y.z", nested: { deep: [1, 2] }, expires_at: null })
        )
      )
    )
  )

  it.effect("a refresh answer without refresh_token gives Option.none() (keep the old one, RFC 6749 §6)", () =>
    Effect.gen(function* () {
      const token = yield* refresh
      expect(token.refreshToken).toEqual(Option.none())
      expect(Redacted.value(token.accessToken)).toBe(secretValues.accessToken)
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, { access_token: secretValues.accessToken }))))
  )

  it.effect("members sent as null read as absent", () =>
    Effect.gen(function* () {
      const token = yield* refresh
      expect(token.refreshToken).toEqual(Option.none())
      expect(token.expiresIn).toEqual(Option.none())
      expect(token.scope).toEqual(Option.none())
      expect(token.tokenType).toBe("bearer")
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.json(200, {
            access_token: secretValues.accessToken,
            refresh_token: null,
            expires_in: null,
            scope: null,
            token_type: null,
            error: null,
            error_description: null,
            error_uri: null
          })
        )
      )
    )
  )

  it.effect("JSON served as text/plain is decoded", () =>
    Effect.gen(function* () {
      expect(Redacted.value((yield* exchange).accessToken)).toBe(secretValues.accessToken)
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, tokenBody, { "content-type": "text/plain" }))))
  )
})

describe("device authorization responses", () => {
  const deviceBody = {
    device_code: secretValues.deviceCode,
    user_code: "WDJB-MJHT",
    verification_uri: "https://secure.ultracart.com/device",
    expires_in: 900
  }

  it.effect("without interval: the 5 second default, no verification_uri_complete", () =>
    Effect.gen(function* () {
      const device = yield* authorizeDevice
      expect(Redacted.value(device.deviceCode)).toBe(secretValues.deviceCode)
      expect(device.userCode).toBe("WDJB-MJHT")
      expect(device.verificationUri).toBe("https://secure.ultracart.com/device")
      expect(device.verificationUriComplete).toEqual(Option.none())
      expect(device.expiresIn).toEqual(Option.some(900))
      expect(device.interval).toBe(5)
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, deviceBody))))
  )

  it.effect("with interval and verification_uri_complete", () =>
    Effect.gen(function* () {
      const device = yield* authorizeDevice
      expect(device.interval).toBe(10)
      expect(device.expiresIn).toEqual(Option.some(600))
      expect(device.verificationUriComplete).toEqual(
        Option.some("https://secure.ultracart.com/device?user_code=WDJB-MJHT")
      )
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.json(200, {
            ...deviceBody,
            expires_in: "600",
            interval: 10,
            verification_uri_complete: "https://secure.ultracart.com/device?user_code=WDJB-MJHT"
          })
        )
      )
    )
  )

  it.effect("a body without the members a device flow needs is malformed, by member name", () =>
    Effect.gen(function* () {
      const error = yield* fail(authorizeDevice)
      expect(error).toMatchObject({
        _tag: "MalformedResponse",
        reason: "Schema",
        issues: ["user_code: is missing", "verification_uri: is missing"]
      })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, { device_code: secretValues.deviceCode }))))
  )
})

describe("revocation responses", () => {
  it.effect("with a body", () =>
    Effect.gen(function* () {
      const revocation = yield* revoke
      expect(revocation).toEqual({ successful: true, message: Option.some("Token revoked") })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, { successful: true, message: "Token revoked" }))))
  )

  for (const status of [200, 204]) {
    it.effect(`with an empty ${status} body: successful (the status is the answer, RFC 7009)`, () =>
      Effect.gen(function* () {
        const revocation = yield* revoke
        expect(revocation).toEqual({ successful: true, message: Option.none() })
      }).pipe(Effect.provide(clientLayer({}, MockHttp.status(status))))
    )
  }

  it.effect("successful: false is passed on", () =>
    Effect.gen(function* () {
      expect((yield* revoke).successful).toBe(false)
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, { successful: false }))))
  )
})

describe("/oauth/me responses", () => {
  const body = {
    merchant_id: "DEMO",
    permissions: ["order_read", "item_write"],
    user: { login: "owner", email: "owner@demo.example" },
    granted_at: "2026-03-01T00:00:00Z"
  }

  it.effect("recognisable members are decoded and the raw JSON is kept", () =>
    Effect.gen(function* () {
      const identity = yield* me
      expect(identity.merchantId).toEqual(Option.some("DEMO"))
      expect(identity.permissions).toEqual(["order_read", "item_write"])
      expect(identity.raw).toEqual(body)
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, body))))
  )

  it.effect("permissions may come as a space- or comma-separated scope string", () =>
    Effect.gen(function* () {
      expect((yield* me).permissions).toEqual(["order_read", "item_write", "customer_read"])
    }).pipe(
      Effect.provide(
        clientLayer({}, MockHttp.json(200, { merchant_id: "DEMO", scope: "order_read item_write,customer_read" }))
      )
    )
  )

  it.effect("a recognised member in an unexpected form reads as absent, and stays in raw", () =>
    Effect.gen(function* () {
      const identity = yield* me
      expect(identity.merchantId).toEqual(Option.none())
      expect(identity.permissions).toEqual(["order_read"])
      expect(identity.raw).toMatchObject({ merchant_id: 4711, permissions: [{ name: "order_read" }] })
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.json(200, { merchant_id: 4711, permissions: [{ name: "order_read" }], scope: "order_read" })
        )
      )
    )
  )

  it.effect("a body that is not a JSON object is malformed", () =>
    Effect.gen(function* () {
      const error = yield* fail(me)
      expect(error).toMatchObject({
        _tag: "MalformedResponse",
        reason: "Schema",
        issues: ["body: is not a JSON object"]
      })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, ["DEMO"]))))
  )
})

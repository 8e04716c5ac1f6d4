import { HttpClient, HttpClientResponse } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { OAuthClient } from "../src/index.js"

const seen: Array<{ url: string; headers: Record<string, string>; body: string }> = []
const mock = (status: number, body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request, url) =>
      Effect.sync(() => {
        const b = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
        seen.push({ url: url.toString(), headers: { ...request.headers }, body: b })
        return HttpClientResponse.fromWeb(request, new Response(body, { status, headers }))
      })
    )
  )

it.effect("smoke", () =>
  Effect.gen(function*() {
    const client = yield* OAuthClient.OAuthClient
    const t = yield* client.exchangeCode({ code: Redacted.make("the-code"), redirectUri: "https://app.example/cb" })
    expect(Redacted.value(t.accessToken)).toBe("at")
    expect(t.expiresIn).toEqual(Option.some(3600))
    console.log(seen)
    const e = yield* Effect.flip(client.refresh({ refreshToken: Redacted.make("") }))
    console.log(String(e), JSON.stringify(e))
  }).pipe(
    Effect.provide(OAuthClient.layer({ clientId: "cid" }).pipe(
      Layer.provide(mock(200, JSON.stringify({ access_token: "at", token_type: "Bearer", expires_in: "3600" })))
    ))
  ))

it.effect("errors", () =>
  Effect.gen(function*() {
    const client = yield* OAuthClient.OAuthClient
    const e = yield* Effect.flip(client.exchangeCode({ code: Redacted.make("the-code"), redirectUri: "https://app.example/cb" }))
    console.log(e._tag, String(e), JSON.stringify(e))
  }).pipe(
    Effect.provide(OAuthClient.layer({ clientId: "cid" }).pipe(
      Layer.provide(mock(400, JSON.stringify({ error: "invalid_grant", error_description: "code the-code is used" }), { "content-type": "text/plain", "uc-rest-error": "bad" }))
    ))
  ))

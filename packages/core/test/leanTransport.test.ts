/**
 * How the client sends through a lean transport (adapters' Fetch and Node transports): its buffered `execute`
 * (head and body in one step) only for calls with no deadline and no tracer, since a buffered read cannot tell
 * the head's deadline from the body's.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as OAuthClient from "../src/OAuthClient.js"
import { CLIENT_ID, REDIRECT_URI } from "./utils/fixtures.js"
import * as RecordingTracer from "./utils/RecordingTracer.js"

const tokenBody = JSON.stringify({
  access_token: "at-1",
  refresh_token: "rt-1",
  expires_in: 3600,
  token_type: "bearer"
})

/** A client marked lean, recording which of its two `execute`s each call went through. */
const leanClient = (used: Array<"execute" | "buffered">) => {
  const answer = (request: Parameters<HttpClient.HttpClient["execute"]>[0]) =>
    Effect.succeed(HttpClientResponse.fromWeb(request, new Response(tokenBody, { status: 200 })))
  const client = HttpClient.make((request) => {
    used.push("execute")
    return answer(request)
  })
  return Object.assign(client, {
    [Symbol.for("@ultracart-oauth/HttpClient/LeanTransport")]: true,
    [Symbol.for("@ultracart-oauth/HttpClient/LeanBuffered")]: (request: Parameters<typeof answer>[0]) => {
      used.push("buffered")
      return answer(request)
    }
  })
}

const exchange = (options: Partial<OAuthClient.OAuthClientOptions>, used: Array<"execute" | "buffered">) =>
  Effect.flatMap(OAuthClient.make({ clientId: CLIENT_ID, ...options }), (client) =>
    client.exchangeCode({ code: Redacted.make("code-1"), redirectUri: REDIRECT_URI })
  ).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient, leanClient(used))))

describe("a lean transport", () => {
  const cases: ReadonlyArray<readonly [string, Partial<OAuthClient.OAuthClientOptions>, "execute" | "buffered"]> = [
    ["no deadline: head and body in one step", {}, "buffered"],
    ["a request deadline: the head apart from the body", { requestTimeout: "5 seconds" }, "execute"],
    ["a body deadline: the head apart from the body", { bodyTimeout: "5 seconds" }, "execute"]
  ]
  for (const [name, options, expected] of cases) {
    it.effect(name, () =>
      Effect.gen(function* () {
        const used: Array<"execute" | "buffered"> = []
        const token = yield* exchange(options, used)
        expect(Redacted.value(token.accessToken)).toBe("at-1")
        expect(used).toEqual([expected])
      })
    )
  }

  it.effect("under a tracer, the call goes through the client's own execute (with its HTTP span)", () =>
    Effect.gen(function* () {
      const used: Array<"execute" | "buffered"> = []
      const { result, spans } = yield* RecordingTracer.recording(exchange({}, used))
      expect(result._tag).toBe("Right")
      expect(used).toEqual(["execute"])
      expect(spans.map((span) => span.name)).toContain("UltraCartOAuth /oauth/token")
    })
  )
})

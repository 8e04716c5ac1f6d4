/**
 * How the client sends through a lean transport (adapters' Fetch and Node transports): its buffered `execute` (head
 * and body in one step, the deadlines kept by the transport's timers) for calls without a tracer, when the deadlines
 * are kept by the live clock (under a `TestClock` they go through `Effect.timeout`) and a timer can wait that long.
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
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

type Used = "execute" | readonly ["buffered", number | undefined, number | undefined]

/**
 * A client marked lean, recording which of its two `execute`s each call went through (and the deadlines the
 * buffered one was given); `bufferedFails` makes the buffered one fail as a transport whose deadline passed.
 */
const leanClient = (used: Array<Used>, bufferedFails?: "head" | "body") => {
  const answer = (request: Parameters<HttpClient.HttpClient["execute"]>[0]) =>
    Effect.succeed(HttpClientResponse.fromWeb(request, new Response(tokenBody, { status: 200 })))
  const client = HttpClient.make((request) => {
    used.push("execute")
    return answer(request)
  })
  return Object.assign(client, {
    [Symbol.for("@ultracart-oauth/HttpClient/LeanTransport")]: true,
    [Symbol.for("@ultracart-oauth/HttpClient/LeanBuffered")]: (
      request: Parameters<typeof answer>[0],
      headMillis: number | undefined,
      bodyMillis: number | undefined
    ) => {
      used.push(["buffered", headMillis, bodyMillis])
      return bufferedFails === undefined
        ? answer(request)
        : Effect.fail(
            new HttpClientError.RequestError({
              request,
              reason: "Transport",
              cause: { _tag: "LeanDeadlineExceeded", phase: bufferedFails }
            })
          )
    }
  })
}

const exchange = (
  options: Partial<OAuthClient.OAuthClientOptions>,
  used: Array<Used>,
  bufferedFails?: "head" | "body"
) =>
  Effect.flatMap(OAuthClient.make({ clientId: CLIENT_ID, ...options }), (client) =>
    client.exchangeCode({ code: Redacted.make("code-1"), redirectUri: REDIRECT_URI })
  ).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient, leanClient(used, bufferedFails))))

const deadlines = { requestTimeout: "5 seconds", bodyTimeout: "2 seconds" } as const

describe("a lean transport", () => {
  it.effect("no deadline: head and body in one step", () =>
    Effect.gen(function* () {
      const used: Array<Used> = []
      const token = yield* exchange({}, used)
      expect(Redacted.value(token.accessToken)).toBe("at-1")
      expect(used).toEqual([["buffered", undefined, undefined]])
    })
  )

  it.live("deadlines on the live clock: one step, the deadlines given to the transport in milliseconds", () =>
    Effect.gen(function* () {
      const used: Array<Used> = []
      yield* exchange(deadlines, used)
      expect(used).toEqual([["buffered", 5000, 2000]])
      yield* exchange({ requestTimeout: "1500 millis" }, used)
      expect(used[1]).toEqual(["buffered", 1500, undefined])
    })
  )

  it.effect("deadlines under a TestClock: through Effect.timeout and the client's own execute", () =>
    Effect.gen(function* () {
      const used: Array<Used> = []
      yield* exchange(deadlines, used)
      expect(used).toEqual(["execute"])
    })
  )

  it.live("a deadline longer than a timer can wait: through Effect.timeout and the client's own execute", () =>
    Effect.gen(function* () {
      const used: Array<Used> = []
      yield* exchange({ requestTimeout: "30 days" }, used)
      expect(used).toEqual(["execute"])
    })
  )

  for (const [phase, reason, detail] of [
    ["head", "Timeout", "no response within 5s"],
    ["body", "BodyTimeout", "no complete body within 2s"]
  ] as const) {
    it.live(`the transport's ${phase} deadline passing is TransportError ${reason}, outcome Unknown`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(exchange(deadlines, [], phase))
        expect(error).toMatchObject({ _tag: "TransportError", reason, outcome: "Unknown", detail })
      })
    )
  }

  it.effect("under a tracer, the call goes through the client's own execute (with its HTTP span)", () =>
    Effect.gen(function* () {
      const used: Array<Used> = []
      const { result, spans } = yield* RecordingTracer.recording(exchange({}, used))
      expect(result._tag).toBe("Right")
      expect(used).toEqual(["execute"])
      expect(spans.map((span) => span.name)).toContain("UltraCartOAuth /oauth/token")
    })
  )
})

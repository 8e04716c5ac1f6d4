/**
 * The contract with a transport that sends OAuth calls itself (`OAuthTransport`, what adapters' Fetch and Node
 * transports are): every call goes through its sender, with the exchange the options ask for; what the sender
 * fails with becomes the call's typed error; a `transformClient` hides the marker so the program's middleware is
 * never bypassed.
 */
import { Headers, HttpClient, HttpClientResponse } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, FiberRef, Layer, Option, Redacted } from "effect"
import * as OAuthClient from "../src/OAuthClient.js"
import * as OAuthTransport from "../src/OAuthTransport.js"
import { CLIENT_ID, REDIRECT_URI } from "./utils/fixtures.js"
import * as RecordingTracer from "./utils/RecordingTracer.js"

const tokenBody = JSON.stringify({
  access_token: "at-1",
  refresh_token: "rt-1",
  expires_in: 3600,
  token_type: "bearer"
})

interface Sent {
  readonly via: "sender" | "execute"
  readonly exchange?: OAuthTransport.Exchange
  readonly propagates?: boolean
}

const answer: OAuthTransport.Answer = { status: 200, headers: Headers.empty, body: tokenBody, redirected: false }

/** A transport recording how each call reached it; its sender answers with `reply`. */
const transport = (
  sent: Array<Sent>,
  reply: Effect.Effect<OAuthTransport.Answer, OAuthTransport.SendError> = Effect.succeed(answer)
) => {
  const client = HttpClient.make((request) => {
    sent.push({ via: "execute" })
    return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(tokenBody, { status: 200 })))
  })
  const sender: OAuthTransport.Sender = (_request: HttpClientRequest.HttpClientRequest, exchange) =>
    Effect.flatMap(FiberRef.get(HttpClient.currentTracerPropagation), (propagates) => {
      sent.push({ via: "sender", exchange, propagates })
      return reply
    })
  return OAuthTransport.make(client, sender)
}

const exchangeCode = (options: Partial<OAuthClient.OAuthClientOptions>, client: HttpClient.HttpClient) =>
  Effect.flatMap(OAuthClient.make({ clientId: CLIENT_ID, ...options }), (oauth) =>
    oauth.exchangeCode({ code: Redacted.make("code-1"), redirectUri: REDIRECT_URI })
  ).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient, client)))

describe("a transport that sends OAuth calls itself", () => {
  it.effect("gets every call, with 30 s / 30 s deadlines and a 1 MiB cap by default", () =>
    Effect.gen(function* () {
      const sent: Array<Sent> = []
      const token = yield* exchangeCode({}, transport(sent))
      expect(Redacted.value(token.accessToken)).toBe("at-1")
      expect(sent.map(({ exchange, via }) => ({ via, exchange }))).toEqual([
        {
          via: "sender",
          exchange: {
            requestTimeout: Option.some(Duration.seconds(30)),
            bodyTimeout: Option.some(Duration.seconds(30)),
            maxBodyBytes: 1024 * 1024
          }
        }
      ])
    })
  )

  it.effect("gets the deadlines and cap the options set; Duration.infinity turns a deadline off", () =>
    Effect.gen(function* () {
      const sent: Array<Sent> = []
      const client = transport(sent)
      yield* exchangeCode({ requestTimeout: "5 seconds", bodyTimeout: Duration.infinity, maxBodyBytes: 4096 }, client)
      expect(sent[0]?.exchange).toEqual({
        requestTimeout: Option.some(Duration.seconds(5)),
        bodyTimeout: Option.none(),
        maxBodyBytes: 4096
      })
    })
  )

  for (const [phase, reason, detail] of [
    ["requestTimeout", "Timeout", "no response within 5s"],
    ["bodyTimeout", "BodyTimeout", "no complete body within 2s"]
  ] as const) {
    it.effect(`its ${phase} passing is TransportError ${reason}, outcome Unknown`, () =>
      Effect.gen(function* () {
        const failing = transport([], Effect.fail(new OAuthTransport.DeadlineExceeded({ phase })))
        const error = yield* Effect.flip(
          exchangeCode({ requestTimeout: "5 seconds", bodyTimeout: "2 seconds" }, failing)
        )
        expect(error).toMatchObject({ _tag: "TransportError", reason, outcome: "Unknown", detail })
      })
    )
  }

  it.effect("a body past the cap is TransportError BodyTooLarge, outcome Unknown", () =>
    Effect.gen(function* () {
      const failing = transport([], Effect.fail(new OAuthTransport.BodyTooLarge({ maxBodyBytes: 10 })))
      const error = yield* Effect.flip(exchangeCode({}, failing))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "BodyTooLarge", outcome: "Unknown" })
    })
  )

  it.effect("an answer from another URL is UnexpectedRedirect (followed), whatever its status", () =>
    Effect.gen(function* () {
      const redirected = transport([], Effect.succeed({ ...answer, redirected: true }))
      const error = yield* Effect.flip(exchangeCode({}, redirected))
      expect(error).toMatchObject({ _tag: "UnexpectedRedirect", status: 200, followed: true })
    })
  )

  it.effect("under a tracer, calls still go through the sender, in the call's span, without trace propagation", () =>
    Effect.gen(function* () {
      const sent: Array<Sent> = []
      const { result, spans } = yield* RecordingTracer.recording(exchangeCode({}, transport(sent)))
      expect(result._tag).toBe("Right")
      expect(sent.map((s) => [s.via, s.propagates])).toEqual([["sender", false]])
      expect(spans.map((span) => span.name)).toContain("UltraCartOAuth /oauth/token")
    })
  )

  it.effect("a transformClient hides the marker: calls go through the transformed client's execute", () =>
    Effect.gen(function* () {
      const sent: Array<Sent> = []
      yield* exchangeCode({ transformClient: HttpClient.mapRequest((request) => request) }, transport(sent))
      expect(sent.map((s) => s.via)).toEqual(["execute"])
    })
  )
})

/**
 * A scriptable in-memory `HttpClient` for adapter tests: each request takes the next scripted step, and every
 * request is recorded with the `Clock` time it was sent at (the TestClock in `it.effect`).
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { Clock, Context, Effect, Layer, Ref } from "effect"

export type Step =
  /** Answer with this status, body and headers. */
  | {
      readonly _tag: "Respond"
      readonly status: number
      readonly body: string
      readonly headers: Record<string, string>
    }
  /** Fail in transport; `code` is the system error code put in the cause (`ECONNREFUSED`, `ECONNRESET`…). */
  | { readonly _tag: "Fail"; readonly code: string }
  /** Never answer. */
  | { readonly _tag: "Hang" }
  /** Answer with the head, then never finish the body. */
  | { readonly _tag: "StallBody"; readonly status: number }

export const respond = (status: number, body = "", headers: Record<string, string> = {}): Step => ({
  _tag: "Respond",
  status,
  body,
  headers
})

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): Step =>
  respond(status, JSON.stringify(value), { "content-type": "application/json", ...headers })

export const fail = (code: string): Step => ({ _tag: "Fail", code })
export const hang: Step = { _tag: "Hang" }
export const stallBody = (status = 200): Step => ({ _tag: "StallBody", status })

export const tokenBody = {
  access_token: "access-1",
  refresh_token: "refresh-1",
  token_type: "bearer",
  expires_in: 3600
}

export interface Recorded {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly atMillis: number
}

export interface Mock {
  /** Appends steps to the script. */
  readonly script: (...steps: ReadonlyArray<Step>) => Effect.Effect<void>
  /** Every request so far, in order. */
  readonly requests: Effect.Effect<ReadonlyArray<Recorded>>
  /** How many requests so far. */
  readonly count: Effect.Effect<number>
}

export class MockServer extends Context.Tag("adapters-test/MockServer")<MockServer, Mock>() {}

const bodyText = (body: unknown): string => (body instanceof Uint8Array ? new TextDecoder().decode(body) : "")

/** Provides `HttpClient` (answering from the script) and `MockServer` (to script and inspect it). */
export const layer: Layer.Layer<HttpClient.HttpClient | MockServer> = Layer.effectContext(
  Effect.gen(function* () {
    const steps = yield* Ref.make<ReadonlyArray<Step>>([])
    const seen = yield* Ref.make<ReadonlyArray<Recorded>>([])
    const client = HttpClient.make((request, url) =>
      Effect.gen(function* () {
        const atMillis = yield* Clock.currentTimeMillis
        const body = request.body._tag === "Uint8Array" ? bodyText(request.body.body) : ""
        yield* Ref.update(seen, (all) => [
          ...all,
          { method: request.method, url: url.toString(), headers: { ...request.headers }, body, atMillis }
        ])
        const step = yield* Ref.modify(steps, (all) => [all[0], all.slice(1)] as const)
        if (step === undefined) return yield* Effect.dieMessage(`no scripted answer for ${request.method} ${url}`)
        switch (step._tag) {
          case "Respond":
            return HttpClientResponse.fromWeb(
              request,
              new Response(step.body === "" ? null : step.body, { status: step.status, headers: step.headers })
            )
          case "Fail": {
            const cause = Object.assign(new Error(`connect ${step.code}`), { code: step.code })
            return yield* new HttpClientError.RequestError({ request, reason: "Transport", cause })
          }
          case "Hang":
            return yield* Effect.never
          case "StallBody":
            return HttpClientResponse.fromWeb(
              request,
              new Response(new ReadableStream({ start() {} }), {
                status: step.status,
                headers: { "content-type": "application/json" }
              })
            )
        }
      })
    )
    const mock: Mock = {
      script: (...more) => Ref.update(steps, (all) => [...all, ...more]),
      requests: Ref.get(seen),
      count: Effect.map(Ref.get(seen), (all) => all.length)
    }
    return Context.make(HttpClient.HttpClient, client).pipe(Context.add(MockServer, mock))
  })
)

/** Scripts the next replies of the test's mock server. */
export const script = (...steps: ReadonlyArray<Step>) => Effect.flatMap(MockServer, (m) => m.script(...steps))

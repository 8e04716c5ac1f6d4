/**
 * The least any Effect client over `fetch` does: the hand-written `fetch` inside one `Effect.async`, aborted through
 * its signal when the fiber is interrupted. No typed request, no decoding, no `Redacted`: what is left is Effect's
 * own cost of an interruptible call (the fiber's suspension and resumption, the interrupt handler, the signal).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { type BenchClient, checkToken, effectRunner, formBody, tokenHeaders } from "./shared.js"

export const make = (base: string): BenchClient => {
  const url = `${base}/oauth/token`
  const call = Effect.async<unknown>((resume) => {
    const controller = new AbortController()
    fetch(url, {
      method: "POST",
      redirect: "manual",
      headers: tokenHeaders,
      body: formBody(),
      signal: controller.signal
    })
      .then((response) =>
        response.json().then((json: { access_token?: unknown }) => {
          checkToken("effect-fetch", response.status, json)
          resume(Effect.succeed(json))
        })
      )
      .catch((cause: unknown) => resume(Effect.die(cause)))
    return Effect.sync(() => controller.abort())
  })
  const runtime = ManagedRuntime.make(Layer.empty)
  return { run: effectRunner(runtime, () => call), close: () => runtime.dispose() }
}

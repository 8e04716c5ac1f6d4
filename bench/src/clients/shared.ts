/**
 * What every measured client module shares. Each client lives in a module of its own (`clients/<id>.ts`), bundled
 * as its own entry, so the process that measures it loads that client's libraries and nothing else.
 */
import * as Effect from "effect/Effect"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import { API_VERSION, CLIENT_ID, CODE, REDIRECT_URI } from "../fixtures.js"

export interface BenchClient {
  /** Sends `calls` requests with at most `inFlight` outstanding. */
  readonly run: (calls: number, inFlight: number) => Promise<void>
  readonly close: () => Promise<void>
}

/** What a client module exports. */
export type MakeClient = (base: string) => BenchClient

export const fail = (what: string): never => {
  throw new Error(`${what}: unexpected answer`)
}

/** Runs a promise-returning call `calls` times from `inFlight` async loops. */
export const promiseRunner =
  (call: () => Promise<unknown>) =>
  async (calls: number, inFlight: number): Promise<void> => {
    if (inFlight <= 1) {
      for (let i = 0; i < calls; i++) await call()
      return
    }
    let left = calls
    const worker = async () => {
      while (left > 0) {
        left--
        await call()
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
  }

/**
 * Runs `call()` `calls` times in one Effect program per batch: sequentially in one fiber, or from `inFlight`
 * fibers (how an Effect program uses a client).
 */
export const effectRunner = <R>(
  runtime: ManagedRuntime.ManagedRuntime<R, unknown>,
  call: () => Effect.Effect<unknown, unknown, R>
) => {
  const loop = (calls: number): Effect.Effect<void, unknown, R> =>
    calls <= 0 ? Effect.void : Effect.flatMap(call(), () => loop(calls - 1))
  return (calls: number, inFlight: number): Promise<void> => {
    if (inFlight <= 1) return runtime.runPromise(loop(calls))
    const each = Math.floor(calls / inFlight)
    const extra = calls - each * inFlight
    const workers = Array.from({ length: inFlight }, (_, i) => loop(each + (i < extra ? 1 : 0)))
    return runtime.runPromise(Effect.all(workers, { concurrency: "unbounded", discard: true }))
  }
}

/** The authorization-code grant as a form body, built per call as every client builds it. */
export const formBody = (): string =>
  `client_id=${encodeURIComponent(CLIENT_ID)}&grant_type=authorization_code&code=${encodeURIComponent(CODE)}` +
  `&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`

/** The headers of a hand-written token request. */
export const tokenHeaders = {
  accept: "application/json",
  "content-type": "application/x-www-form-urlencoded",
  "x-ultracart-api-version": API_VERSION
} as const

/** Checks a parsed token answer. */
export const checkToken = (what: string, status: number, json: { access_token?: unknown }): void => {
  if (status !== 200 || typeof json.access_token !== "string") fail(what)
}

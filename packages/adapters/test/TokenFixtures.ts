/**
 * A scripted `OAuthClient` for token-manager tests: a tiny rotating-refresh-token server with reuse detection,
 * an optional reuse grace period, and per-request faults — at the service level, so tests control exactly what
 * each refresh sees. (Integration tests use `@ultracart-oauth/testing`'s fake server.)
 */
import { OAuthClient, OAuthError, type TokenResponse } from "@ultracart-oauth/core"
import { Effect, type Fiber, Layer, Option, Redacted, TestClock } from "effect"
import type { Duration } from "effect"
import { type TokenSet, TokenStore, TokenStoreError } from "../src/TokenStore.js"
import * as TokenStoreModule from "../src/TokenStore.js"
import { stubOAuthClient } from "./utils/StubOAuthClient.js"

export type RefreshFault =
  | { readonly _tag: "LoseResponse" }
  | { readonly _tag: "NotSent" }
  | { readonly _tag: "RateLimited" }
  | { readonly _tag: "Delay"; readonly duration: Duration.DurationInput }
  /** The server answers with this error (the refresh token is left as it was). */
  | { readonly _tag: "Refuse"; readonly error: OAuthError.OAuthClientError }

export interface ScriptedServerOptions {
  readonly rotate?: boolean
  /** Seconds (3600 by default). */
  readonly expiresIn?: number | undefined
  /** Answer without `expires_in`. */
  readonly omitExpiresIn?: boolean
  /** A retired refresh token presented within this many uses after its rotation still refreshes (a grace period). */
  readonly reuseGrace?: boolean
}

export class ScriptedServer {
  refreshRequests = 0
  revokeRequests: Array<string> = []
  familyRevoked = false
  /** Revocations fail with a 503 while set. */
  revokeFails = false
  readonly issued: Array<string> = []
  faults: Array<RefreshFault> = []
  private generation = 0
  private validRefresh: string
  private readonly retired = new Set<string>()
  private lastRetired: string | undefined

  constructor(readonly options: ScriptedServerOptions = {}) {
    this.validRefresh = this.mint("rt")
  }

  private mint(kind: string): string {
    const token = `${kind}-${this.generation}-${Math.random().toString(36).slice(2, 12)}`
    this.issued.push(token)
    return token
  }

  /** The grant as a login would yield it. */
  initial(): TokenResponse.TokenResponse {
    return {
      accessToken: Redacted.make(this.mint("at")),
      tokenType: "bearer",
      expiresIn: this.expiresIn(),
      refreshToken: Option.some(Redacted.make(this.validRefresh)),
      scope: Option.some("order_read")
    }
  }

  private expiresIn(): Option.Option<number> {
    return this.options.omitExpiresIn === true ? Option.none() : Option.some(this.options.expiresIn ?? 3600)
  }

  get currentRefreshToken(): string {
    return this.validRefresh
  }

  private invalidGrant(description: string) {
    return new OAuthError.InvalidGrant({ endpoint: "token", status: 400, description })
  }

  /** What the server does with a refresh token, before any fault hides the answer. */
  private process(refreshToken: string): Effect.Effect<TokenResponse.TokenResponse, OAuthError.InvalidGrant> {
    if (this.familyRevoked) return Effect.fail(this.invalidGrant("grant revoked"))
    const rotate = this.options.rotate !== false
    if (refreshToken !== this.validRefresh) {
      if (this.options.reuseGrace === true && refreshToken === this.lastRetired) {
        return Effect.succeed(this.answer(this.validRefresh))
      }
      if (this.retired.has(refreshToken)) this.familyRevoked = true
      return Effect.fail(this.invalidGrant(this.familyRevoked ? "refresh token reused" : "unknown refresh token"))
    }
    this.generation += 1
    if (rotate) {
      this.retired.add(refreshToken)
      this.lastRetired = refreshToken
      this.validRefresh = this.mint("rt")
    }
    return Effect.succeed(this.answer(rotate ? this.validRefresh : undefined))
  }

  private answer(refreshToken: string | undefined): TokenResponse.TokenResponse {
    return {
      accessToken: Redacted.make(this.mint("at")),
      tokenType: "bearer",
      expiresIn: this.expiresIn(),
      refreshToken: Option.map(Option.fromNullable(refreshToken), Redacted.make),
      scope: Option.none()
    }
  }

  refresh(
    refreshToken: Redacted.Redacted<string>
  ): Effect.Effect<TokenResponse.TokenResponse, OAuthError.OAuthClientError> {
    return Effect.suspend((): Effect.Effect<TokenResponse.TokenResponse, OAuthError.OAuthClientError> => {
      this.refreshRequests += 1
      const fault = this.faults.shift()
      const processed = Effect.suspend(() => this.process(Redacted.value(refreshToken)))
      switch (fault?._tag) {
        case undefined:
          return processed
        case "Delay":
          return Effect.zipRight(Effect.sleep(fault.duration), processed)
        case "NotSent":
          return Effect.fail(
            new OAuthError.TransportError({
              endpoint: "token",
              reason: "Transport",
              outcome: "NotSent",
              detail: "ECONNREFUSED"
            })
          )
        case "RateLimited":
          return Effect.fail(new OAuthError.RateLimited({ endpoint: "token", status: 429, retryAfterMillis: 1000 }))
        case "Refuse":
          return Effect.fail(fault.error)
        case "LoseResponse":
          return Effect.zipRight(
            Effect.ignore(processed),
            Effect.fail(
              new OAuthError.TransportError({
                endpoint: "token",
                reason: "Timeout",
                outcome: "Unknown",
                detail: "no response"
              })
            )
          )
      }
    })
  }

  service(): OAuthClient.OAuthClient.Service {
    return stubOAuthClient({
      clientId: "scripted-client",
      baseUrl: "https://ultracart.scripted.test/rest/v2",
      refresh: (input) => this.refresh(input.refreshToken),
      revoke: (input) =>
        Effect.suspend(() => {
          this.revokeRequests.push(Redacted.value(input.token))
          return this.revokeFails
            ? Effect.fail(new OAuthError.ServerError({ endpoint: "revoke", status: 503 }))
            : Effect.succeed({ successful: true, message: Option.none<string>() })
        })
    })
  }

  layer(): Layer.Layer<OAuthClient.OAuthClient> {
    return Layer.sync(OAuthClient.OAuthClient, () => this.service())
  }
}

/**
 * Awaits a fiber that mixes real file I/O with `Clock` sleeps (the lock's retry loop): moves the TestClock on in
 * small steps until the fiber is done, so its sleeps wake whenever it reaches them.
 */
export const awaitDriving = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.gen(function* () {
    for (let step = 0; step < 5_000; step++) {
      const exit = yield* fiber.poll
      if (Option.isSome(exit)) return yield* exit.value
      yield* TestClock.adjust("10 millis")
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage("the fiber did not finish")
  })

/**
 * A memory store (optionally with an in-process lease, like a store shared by processes) whose loads and writes
 * can be made to fail, counting both: for outages of the store itself.
 */
export class FlakyStore {
  /** While set, `load` fails with this reason. */
  failLoads: TokenStoreError["reason"] | undefined
  /** While set, `compareAndSet` and `save` fail with this reason (nothing is written). */
  failWrites: TokenStoreError["reason"] | undefined
  loads = 0
  writes = 0
  leaseHeld = false
  /** The store underneath, for "another process" writing while this one fails. */
  readonly inner = TokenStoreModule.makeMemory()
  private readonly leaseLock = Effect.unsafeMakeSemaphore(1)

  constructor(readonly options: { readonly lease?: boolean } = {}) {}

  private failing<A>(
    operation: TokenStoreError["operation"],
    key: string,
    reason: TokenStoreError["reason"] | undefined,
    effect: Effect.Effect<A, TokenStoreError>
  ): Effect.Effect<A, TokenStoreError> {
    return reason === undefined
      ? effect
      : Effect.fail(new TokenStoreError({ operation, key, reason, detail: "the test made the store fail" }))
  }

  service(): TokenStore.Service {
    return {
      load: (key) =>
        Effect.suspend(() => {
          this.loads += 1
          return this.failing("load", key, this.failLoads, this.inner.load(key))
        }),
      save: (key, tokens) =>
        Effect.suspend(() => {
          this.writes += 1
          return this.failing("save", key, this.failWrites, this.inner.save(key, tokens))
        }),
      compareAndSet: (key, expected, tokens) =>
        Effect.suspend(() => {
          this.writes += 1
          return this.failing("compareAndSet", key, this.failWrites, this.inner.compareAndSet(key, expected, tokens))
        }),
      clear: (key) => this.inner.clear(key),
      list: (options) => this.inner.list(options),
      lease:
        this.options.lease === true
          ? () =>
              Effect.asVoid(
                Effect.acquireRelease(
                  Effect.zipRight(
                    // Waiting is interruptible (as a real store's polling is), so a bound on it can end it.
                    Effect.interruptible(this.leaseLock.take(1)),
                    Effect.sync(() => void (this.leaseHeld = true))
                  ),
                  () =>
                    Effect.zipRight(
                      Effect.sync(() => void (this.leaseHeld = false)),
                      this.leaseLock.release(1)
                    )
                )
              )
          : undefined
    }
  }

  layer(): Layer.Layer<TokenStore> {
    return Layer.succeed(TokenStore, this.service())
  }

  /** The stored set of a grant, read past the failures. */
  stored(key: string): Effect.Effect<TokenSet> {
    return Effect.map(Effect.orDie(this.inner.load(key)), Option.getOrThrow)
  }
}

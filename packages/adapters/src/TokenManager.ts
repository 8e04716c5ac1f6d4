/**
 * Hands out a valid access token for one grant: refreshes ahead of expiry, one refresh at a time however many
 * fibers ask, persists rotations (keeping one the store could not take pending, with the grant's lease, until it
 * can), and recovers from lost races and lost responses by re-reading the `TokenStore`.
 *
 * @since 0.1.0
 */
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import type * as TokenResponse from "@ultracart-oauth/core/TokenResponse"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { OutcomeUnknown } from "./OutcomeUnknown.js"
import { type TokenSet, type TokenSetInput, TokenStore, TokenStoreError, withVersion } from "./TokenStore.js"

/**
 * The grant cannot give an access token any more: the merchant must authorize the app again (browser or device
 * flow). `reason`: `NoTokens` (nothing stored, or logged out), `NoRefreshToken` (the access token expired and the
 * grant came without a refresh token), `InvalidGrant` (UltraCart refused the refresh token and no newer token
 * was in the store).
 *
 * @since 0.1.0
 * @category errors
 */
export class ReauthorizationRequired extends Schema.TaggedError<ReauthorizationRequired>()("ReauthorizationRequired", {
  key: Schema.String,
  reason: Schema.Literal("NoTokens", "NoRefreshToken", "InvalidGrant"),
  /** UltraCart's `error_description`, for `InvalidGrant`. */
  description: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const why =
      this.reason === "NoTokens"
        ? "no tokens are stored"
        : this.reason === "NoRefreshToken"
          ? "the access token expired and there is no refresh token"
          : `UltraCart refused the refresh token${this.description === undefined ? "" : ` (${this.description})`}`
    return `Grant "${this.key}" needs the merchant to authorize the app again: ${why}`
  }
}

/**
 * Everything asking for a token can fail with. Transient failures (`RateLimited`, `ServerError`, a
 * `TransportError`…) come through as core's errors; the stored tokens are kept.
 *
 * @since 0.1.0
 * @category errors
 */
export type TokenManagerError = ReauthorizationRequired | TokenStoreError | OutcomeUnknown | OAuthError.OAuthClientError

/**
 * How one revocation of a logout went.
 *
 * @since 0.1.0
 * @category models
 */
export type RevocationOutcome =
  | { readonly _tag: "Revoked" }
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Failed"; readonly cause: Cause.Cause<OAuthError.OAuthClientError> }

/**
 * What a logout did: the refresh token is revoked first (RFC 7009 §2.1), then the access token (UltraCart's
 * documented `token`); the store is cleared whatever they answered.
 *
 * @since 0.1.0
 * @category models
 */
export interface Logout {
  readonly refreshToken: RevocationOutcome
  readonly accessToken: RevocationOutcome
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenManagerOptions {
  /** The grant's key in the `TokenStore`. Defaults to the `OAuthClient`'s client id. */
  readonly key?: string | undefined
  /**
   * Refresh this long before the expiry (default 5 minutes). For a token living less than twice the margin, the
   * refresh comes at half its life instead, so a short-lived token is not refreshed on every call.
   */
  readonly refreshMargin?: Duration.DurationInput | undefined
  /** The lifetime assumed when a token response has no `expires_in` (default 30 minutes). */
  readonly defaultLifetime?: Duration.DurationInput | undefined
  /** Refresh in a background fiber at the margin, so callers never wait for a refresh (default false). */
  readonly backgroundRefresh?: boolean | undefined
  /** After a failed refresh, the first pause before the next attempt (1 second), doubled per failure. */
  readonly retryBackoff?: Duration.DurationInput | undefined
  /** The longest pause between refresh attempts (1 minute). */
  readonly maxRetryBackoff?: Duration.DurationInput | undefined
  /**
   * After a refresh whose outcome is unknown (a lost answer) with no newer token in the store, repeat it once at
   * once (default true): that recovers the grant when UltraCart never got the request or allows a reuse grace
   * period. Set false to keep the current access token until it expires instead, and only then try the old
   * refresh token again — better where a reuse revokes the grant's access tokens too and nothing can recover it.
   */
  readonly repeatAmbiguousRefresh?: boolean | undefined
  /** How long closing the Layer waits for a refresh in flight, so a rotation is persisted (10 seconds). */
  readonly shutdownGrace?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace TokenManager {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The grant's key in the store. */
    readonly key: string
    /**
     * A token set whose access token is valid now. Past the refresh point it starts the refresh (one for all
     * callers) and, while the current token is still valid, answers with it at once; once the token has
     * expired, callers wait for the refresh.
     */
    readonly tokens: Effect.Effect<TokenSet, TokenManagerError>
    /** The access token of {@link tokens}. */
    readonly accessToken: Effect.Effect<Redacted.Redacted<string>, TokenManagerError>
    /** Refreshes now, whatever the expiry (joining a refresh already in flight). */
    readonly refresh: Effect.Effect<TokenSet, TokenManagerError>
    /**
     * The API refused `rejected` (a 401): refreshes once, unless a newer set is already known; yields the set to
     * try again with. A second refusal of the new set is the caller's answer — this never loops.
     */
    readonly invalidate: (rejected: TokenSet) => Effect.Effect<TokenSet, TokenManagerError>
    /**
     * Stores the tokens of a new grant (a code or device exchange). `issuedAt` is when the exchange started
     * (defaults to now); the expiry is counted from it.
     */
    readonly save: (
      response: TokenResponse.TokenResponse,
      issuedAt?: DateTime.Utc | undefined
    ) => Effect.Effect<TokenSet, TokenStoreError>
    /** Runs an exchange and saves its tokens, counting the expiry from the moment the exchange started. */
    readonly login: <E, R>(
      exchange: Effect.Effect<TokenResponse.TokenResponse, E, R>
    ) => Effect.Effect<TokenSet, E | TokenStoreError, R>
    /** Revokes the refresh token, then the access token, then clears the store whatever revocation did. */
    readonly logout: Effect.Effect<Logout, TokenStoreError>
  }
}

/**
 * The token manager service.
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenManager extends Context.Tag("@ultracart-oauth/adapters/TokenManager")<
  TokenManager,
  TokenManager.Service
>() {}

/**
 * The token manager's metrics. None carries a secret; none is tagged with the grant (unbounded cardinality).
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = {
  /** Refresh requests sent. */
  refreshes: Metric.counter("ultracart_oauth_token_refreshes", { incremental: true }),
  /** Failed refreshes, tagged `error` with the error's tag. */
  refreshFailures: Metric.counter("ultracart_oauth_token_refresh_failures", { incremental: true }),
  /** Callers that joined a refresh (or store read) already in flight instead of starting one. */
  singleFlightJoins: Metric.counter("ultracart_oauth_token_single_flight_joins", { incremental: true }),
  /** Failures recovered from, tagged `via`: `store` (a newer token was stored) or `retry` (a repeated refresh). */
  recoveries: Metric.counter("ultracart_oauth_token_recoveries", { incremental: true }),
  /** Attempts to store a rotation that failed (the rotation is kept, pending, and stored again after a back-off). */
  persistFailures: Metric.counter("ultracart_oauth_token_persist_failures", { incremental: true })
}

type Trigger =
  | { readonly _tag: "Due" }
  | { readonly _tag: "Forced" }
  | { readonly _tag: "Rejected"; readonly version: number }
  /** The persist-retry fiber: store a pending rotation (and refresh only if due). */
  | { readonly _tag: "Persist" }

/**
 * A rotation UltraCart made that the store has not taken yet. Until it has, the manager serves its tokens, never
 * spends the refresh token it replaced, and keeps holding the grant's lease (where the store has leases), so that
 * other processes wait instead of reading the retired refresh token from the store and spending it.
 */
interface PendingRotation {
  readonly tokens: TokenSetInput
  /** The version the compare-and-set expects: the one refreshed from (or an older-issued one written since). */
  readonly expected: number
  /** The grant's lease, held since the refresh; closed once the rotation is settled. */
  readonly lease: Scope.CloseableScope | undefined
}

/** How often in a row a pending rotation is written over older-issued tokens before the attempt counts as failed. */
const MAX_OVERWRITES = 3

/** A failed refresh whose outcome is unknown: UltraCart may have rotated the refresh token. */
const isAmbiguous = (error: OAuthError.OAuthClientError | OutcomeUnknown): boolean =>
  error._tag === "OutcomeUnknown" ||
  (error._tag === "TransportError" && error.outcome === "Unknown") ||
  (error._tag === "MalformedResponse" && error.status >= 200 && error.status < 300)

const asOutcomeUnknown = (error: OAuthError.OAuthClientError): OAuthError.OAuthClientError | OutcomeUnknown =>
  error._tag === "TransportError" && error.outcome === "Unknown"
    ? new OutcomeUnknown({ grantType: "refresh_token", reason: error.reason, detail: error.detail })
    : error

const IDLE_POLL_MILLIS = 60_000

/** "Never expires" (an infinite default lifetime) is stored as a century: an instant must be finite. */
const MAX_LIFETIME_MILLIS = 100 * 365 * 24 * 3600_000

/**
 * Makes a token manager for one grant. Its refreshes run in fibers of the given scope, so a caller that is
 * interrupted (or times out) never abandons a refresh half way; closing the scope waits `shutdownGrace` for one.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: TokenManagerOptions = {}
): Effect.Effect<TokenManager.Service, never, OAuthClient.OAuthClient | TokenStore | Scope.Scope> =>
  Effect.gen(function* () {
    const oauth = yield* OAuthClient.OAuthClient
    const store = yield* TokenStore
    const key = options.key ?? oauth.clientId
    const marginMillis = Duration.toMillis(options.refreshMargin ?? Duration.minutes(5))
    const defaultLifetimeMillis = Duration.toMillis(options.defaultLifetime ?? Duration.minutes(30))
    const backoffMillis = Duration.toMillis(options.retryBackoff ?? Duration.seconds(1))
    const maxBackoffMillis = Duration.toMillis(options.maxRetryBackoff ?? Duration.minutes(1))
    const shutdownGrace = Duration.decode(options.shutdownGrace ?? Duration.seconds(10))
    const repeatAmbiguous = options.repeatAmbiguousRefresh !== false
    const annotations = { "ultracart.grant": key }

    // The state below is only written by the fiber that holds `lock` (or synchronously, between two steps), so
    // plain variables are enough; readers on the hot path see either the old or the new set, both consistent.
    let current: TokenSet | undefined
    let refreshAtMillis = 0
    let expiresAtMillis = 0
    let deadVersion: number | undefined
    let failures = 0
    let retryAtMillis = 0
    let lastError: TokenManagerError | undefined
    let flight: Deferred.Deferred<TokenSet, TokenManagerError> | undefined
    let pending: PendingRotation | undefined
    let retrying = false

    const lock = yield* Effect.makeSemaphore(1)
    const scope = yield* Effect.scope
    const flightScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
    // Added after the flight scope, so it runs before that scope closes: an in-flight rotation gets persisted,
    // and a pending one gets a last attempt (then its lease is freed, and a rotation still unstored is reported).
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() =>
        // Finalizers run uninterruptibly: the wait must be made interruptible for its timeout to end it.
        flight === undefined
          ? Effect.void
          : Effect.ignore(Effect.timeout(Effect.interruptible(Deferred.await(flight)), shutdownGrace))
      ).pipe(
        Effect.zipRight(
          Effect.suspend(() =>
            pending === undefined
              ? Effect.void
              : Effect.ignore(Effect.timeout(Effect.interruptible(settle), shutdownGrace))
          )
        ),
        Effect.zipRight(
          Effect.suspend(() =>
            pending === undefined
              ? Effect.void
              : Effect.zipRight(
                  Effect.logError(
                    "closing with a rotation the store never took: other processes will find a spent refresh token"
                  ),
                  dropPending
                )
          )
        ),
        Effect.annotateLogs(annotations)
      )
    )

    /** When a set should be refreshed: the margin before expiry, but never before half its life. */
    const refreshPoint = (tokens: TokenSet): number => {
      const expires = DateTime.toEpochMillis(tokens.expiresAt)
      const issued = DateTime.toEpochMillis(tokens.issuedAt)
      return Math.max(expires - marginMillis, issued + (expires - issued) / 2)
    }

    const adopt = (tokens: TokenSet | undefined): void => {
      current = tokens
      refreshAtMillis = tokens === undefined ? 0 : refreshPoint(tokens)
      expiresAtMillis = tokens === undefined ? 0 : DateTime.toEpochMillis(tokens.expiresAt)
    }

    const succeeded = (tokens: TokenSet): TokenSet => {
      adopt(tokens)
      failures = 0
      retryAtMillis = 0
      lastError = undefined
      return tokens
    }

    const fromResponse = (
      response: TokenResponse.TokenResponse,
      issuedAtMillis: number,
      previous: TokenSet | undefined
    ): TokenSetInput => ({
      accessToken: response.accessToken,
      // RFC 6749 §6: no refresh token in the answer means the old one stays valid.
      refreshToken: Option.orElse(response.refreshToken, () => previous?.refreshToken ?? Option.none()),
      expiresAt: DateTime.unsafeMake(
        issuedAtMillis +
          Math.min(
            MAX_LIFETIME_MILLIS,
            Option.match(response.expiresIn, {
              onNone: () => defaultLifetimeMillis,
              onSome: (seconds) => seconds * 1000
            })
          )
      ),
      issuedAt: DateTime.unsafeMake(issuedAtMillis),
      scope: Option.orElse(response.scope, () => previous?.scope ?? Option.none())
    })

    /**
     * Starts (or lengthens) the back-off: no refresh, store read or persist attempt before `retryAtMillis`. After
     * a store failure the back-off never runs past the access token's expiry: a store that is back by then is
     * tried before any caller is refused a token.
     */
    const backOff = (now: number, error: TokenManagerError, notBeforeMillis = 0): void => {
      failures += 1
      retryAtMillis = Math.max(notBeforeMillis, now + Math.min(maxBackoffMillis, backoffMillis * 2 ** (failures - 1)))
      if (error._tag === "TokenStoreError" && now < expiresAtMillis)
        retryAtMillis = Math.min(retryAtMillis, expiresAtMillis)
      lastError = error
    }

    /**
     * A refresh (or the store read or write around it) failed: back off, and keep serving the current access
     * token while it is still valid (the margin exists for this) — except to a caller whose token the API just
     * refused, or who asked for a refresh.
     */
    const failOrServe = (
      trigger: Trigger,
      tokens: TokenSet | undefined,
      error: TokenManagerError,
      notBeforeMillis = 0
    ): Effect.Effect<TokenSet, TokenManagerError> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        backOff(now, error, notBeforeMillis)
        yield* Effect.logWarning("token refresh failed").pipe(
          Effect.annotateLogs({
            "error.tag": error._tag,
            "error.message": error.message,
            "token.version": tokens?.version ?? 0
          })
        )
        const serves = trigger._tag === "Due" || trigger._tag === "Persist"
        if (serves && tokens !== undefined && now < DateTime.toEpochMillis(tokens.expiresAt)) return tokens
        return yield* Effect.fail(error)
      })

    /** Forgets the pending rotation (stored, superseded, or given up) and frees the lease it held. */
    const dropPending: Effect.Effect<void> = Effect.suspend(() => {
      const entry = pending
      pending = undefined
      return entry?.lease === undefined ? Effect.void : Scope.close(entry.lease, Exit.void)
    })

    /**
     * Stores the pending rotation with a compare-and-set. On a conflict the rule is:
     * - the store holds these very tokens (a write that timed out but landed, or one the store finished itself):
     *   stored;
     * - it holds a set whose exchange started no earlier than this rotation's (`issuedAt` ≥ ours: another
     *   process's later refresh, or a new login): that set is newer — adopt it and drop ours;
     * - it holds a set requested *before* this rotation (another writer's older refresh or grant landed while ours
     *   waited): ours is the last one UltraCart issued — write it over that version (at most `MAX_OVERWRITES` times);
     * - nothing (logged out): drop ours, `ReauthorizationRequired`.
     * Fails with the store's error while the store cannot take it: the rotation stays pending.
     */
    const settle: Effect.Effect<TokenSet, TokenStoreError | ReauthorizationRequired> = Effect.gen(function* () {
      for (let attempt = 0; attempt < MAX_OVERWRITES; attempt++) {
        const entry = pending
        if (entry === undefined) break
        const result = yield* store.compareAndSet(key, entry.expected, entry.tokens)
        if (result._tag === "Written") {
          yield* dropPending
          yield* Effect.logDebug("tokens refreshed").pipe(
            Effect.annotateLogs({
              "token.version": result.tokens.version,
              "token.expires_at": DateTime.formatIso(result.tokens.expiresAt)
            })
          )
          return succeeded(result.tokens)
        }
        if (Option.isNone(result.current)) {
          yield* dropPending
          adopt(undefined)
          return yield* new ReauthorizationRequired({ key, reason: "NoTokens" })
        }
        const theirs = result.current.value
        if (Redacted.value(theirs.accessToken) === Redacted.value(entry.tokens.accessToken)) {
          yield* dropPending
          return succeeded(theirs)
        }
        if (DateTime.toEpochMillis(theirs.issuedAt) >= DateTime.toEpochMillis(entry.tokens.issuedAt)) {
          // Another process wrote a newer set: the store is the one truth every process shares.
          yield* dropPending
          yield* Effect.logInfo("another writer stored newer tokens meanwhile; using the stored ones").pipe(
            Effect.annotateLogs({ "token.version": theirs.version })
          )
          return succeeded(theirs)
        }
        yield* Effect.logWarning(
          "the store holds tokens issued before this rotation; writing the rotation over them"
        ).pipe(Effect.annotateLogs({ "token.version": theirs.version }))
        pending = { ...entry, expected: theirs.version }
      }
      if (pending === undefined && current !== undefined) return current
      return yield* new TokenStoreError({
        operation: "compareAndSet",
        key,
        reason: "Locked",
        detail: `other writers stored older tokens over the grant ${MAX_OVERWRITES} times in a row`
      })
    })

    /** A persist attempt failed: counted and logged (the caller backs off, then starts the retrier). */
    const persistFailed = (error: TokenStoreError) =>
      Effect.zipRight(
        Metric.increment(metrics.persistFailures),
        Effect.logError("rotated tokens could not be stored; keeping them and trying again").pipe(
          Effect.annotateLogs({ "error.reason": error.reason, "error.message": error.message })
        )
      )

    /** One fiber per pending rotation: at each back-off's end (set before it starts) it runs a flight that stores it. */
    const startRetrier: Effect.Effect<void> = Effect.suspend(() => {
      if (retrying || pending === undefined) return Effect.void
      retrying = true
      const loop = Effect.gen(function* () {
        while (pending !== undefined) {
          const now = yield* Clock.currentTimeMillis
          yield* Effect.sleep(Duration.millis(Math.max(retryAtMillis - now, 0)))
          if (pending !== undefined) yield* Effect.exit(singleFlight({ _tag: "Persist" }))
        }
      }).pipe(Effect.ensuring(Effect.sync(() => void (retrying = false))))
      return Effect.asVoid(Effect.forkIn(Effect.interruptible(loop), flightScope))
    })

    /**
     * Stores a refresh's answer. The new tokens are served at once; if the store cannot take them, they stay
     * pending (with the lease) and are stored again after the back-off — never dropped, never refreshed past.
     */
    const persist = (
      base: TokenSet,
      response: TokenResponse.TokenResponse,
      issuedAtMillis: number,
      lease: Scope.CloseableScope | undefined
    ) =>
      Effect.gen(function* () {
        const next = fromResponse(response, issuedAtMillis, base)
        pending = { tokens: next, expected: base.version, lease }
        adopt(withVersion(next, base.version + 1))
        const stored = yield* Effect.either(settle)
        if (stored._tag === "Right") return stored.right
        if (stored.left._tag === "ReauthorizationRequired") return yield* stored.left
        yield* persistFailed(stored.left)
        backOff(yield* Clock.currentTimeMillis, stored.left)
        yield* startRetrier
        return withVersion(next, base.version + 1)
      })

    const refreshFrom = (
      restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
      trigger: Trigger,
      base: TokenSet,
      refreshToken: Redacted.Redacted<string>,
      recovering: boolean,
      lease: Scope.CloseableScope | undefined
    ): Effect.Effect<TokenSet, TokenManagerError> =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        yield* Metric.increment(metrics.refreshes)
        // Only the request can be interrupted (by closing the Layer); persisting its answer cannot.
        const exit = yield* Effect.exit(restore(oauth.refresh({ refreshToken })))
        if (Exit.isSuccess(exit)) return yield* persist(base, exit.value, started, lease)
        const failure = Cause.failureOption(exit.cause)
        if (Option.isNone(failure)) return yield* Effect.failCause(exit.cause)
        const error = asOutcomeUnknown(failure.value)
        yield* Metric.increment(Metric.tagged(metrics.refreshFailures, "error", error._tag))

        // Lost a race (another fiber or process rotated first) or lost the answer: the store may know better.
        const reread = yield* Effect.either(store.load(key))
        if (reread._tag === "Left") return yield* failOrServe(trigger, base, reread.left)
        const latest = reread.right
        if (Option.isNone(latest)) {
          adopt(undefined)
          return yield* new ReauthorizationRequired({ key, reason: "NoTokens" })
        }
        if (latest.value.version !== base.version) {
          yield* Metric.increment(Metric.tagged(metrics.recoveries, "via", "store"))
          yield* Effect.logInfo("refresh failed but a newer token was stored; using it").pipe(
            Effect.annotateLogs({ "error.tag": error._tag, "token.version": latest.value.version })
          )
          return succeeded(latest.value)
        }
        if (error._tag === "InvalidGrant") {
          deadVersion = base.version
          return yield* failOrServe(
            trigger,
            base,
            new ReauthorizationRequired({
              key,
              reason: "InvalidGrant",
              ...(error.description ? { description: error.description } : {})
            })
          )
        }
        if (isAmbiguous(error) && !recovering && repeatAmbiguous) {
          // Nobody stored a newer token. Either UltraCart never acted (then the same refresh token works), or it
          // rotated and the answer was lost: then the new token is gone for good, and a repeat either succeeds
          // (a server with a reuse grace period) or ends in invalid_grant — which re-authorization needed anyway.
          yield* Effect.logInfo("refresh outcome unknown and nothing newer stored; repeating it once")
          const repeated = yield* refreshFrom(restore, trigger, base, refreshToken, true, lease)
          if (repeated !== base) yield* Metric.increment(Metric.tagged(metrics.recoveries, "via", "retry"))
          return repeated
        }
        // Not repeating an ambiguous refresh means: not before the access token runs out.
        const notBefore = isAmbiguous(error) && !repeatAmbiguous ? DateTime.toEpochMillis(base.expiresAt) : 0
        return yield* failOrServe(trigger, base, error, notBefore)
      })

    /** The stored set (only read with no rotation pending). */
    const loadBase: Effect.Effect<TokenSet, TokenManagerError> = Effect.flatMap(store.load(key), (loaded) => {
      if (Option.isNone(loaded)) {
        adopt(undefined)
        return Effect.fail(new ReauthorizationRequired({ key, reason: "NoTokens" }))
      }
      const base = current !== undefined && current.version === loaded.value.version ? current : loaded.value
      if (base !== current) adopt(base)
      return Effect.succeed(base)
    })

    /**
     * A store that cannot be read ends the flight and shares the refresh's back-off: during an outage, callers
     * past the refresh point do not each start a failing read (and a valid token is still served).
     */
    const unreadable = (trigger: Trigger) => (error: TokenManagerError) =>
      error._tag === "TokenStoreError" ? failOrServe(trigger, current, error) : Effect.fail(error)

    const isDue = (trigger: Trigger, base: TokenSet): Effect.Effect<boolean> =>
      Effect.map(
        Clock.currentTimeMillis,
        (now) =>
          trigger._tag === "Forced" ||
          now >= refreshAtMillis ||
          (trigger._tag === "Rejected" && trigger.version === base.version)
      )

    /** Closes a flight's lease, unless a pending rotation has taken it over. */
    const closeLease = (lease: Scope.CloseableScope | undefined) =>
      Effect.suspend(() =>
        lease === undefined || pending?.lease === lease ? Effect.void : Scope.close(lease, Exit.void)
      )

    /**
     * One flight: store a pending rotation first (nothing else happens until the store has it), then read the
     * store, and refresh only if what it holds is due (or was refused). Where the store is shared by processes,
     * the grant's lease is taken first and the store read again: the process that waited finds the other's
     * rotation instead of spending the same refresh token. A rotation the store does not take keeps the lease.
     */
    const fly = (trigger: Trigger): Effect.Effect<TokenSet, TokenManagerError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          if (pending !== undefined) {
            const stored = yield* Effect.either(settle)
            if (stored._tag === "Left") {
              if (stored.left._tag === "ReauthorizationRequired") return yield* stored.left
              yield* persistFailed(stored.left)
              return yield* failOrServe(trigger, current, stored.left).pipe(Effect.ensuring(startRetrier))
            }
          }
          const loaded = yield* Effect.either(loadBase)
          if (loaded._tag === "Left") return yield* unreadable(trigger)(loaded.left)
          let base = loaded.right
          if (!(yield* isDue(trigger, base))) return succeeded(base)
          const lease = store.lease === undefined ? undefined : yield* Scope.make()
          return yield* Effect.gen(function* () {
            if (store.lease !== undefined && lease !== undefined) {
              const leased = yield* Effect.either(restore(Scope.extend(store.lease(key), lease)))
              if (leased._tag === "Left") return yield* failOrServe(trigger, base, leased.left)
              const reloaded = yield* Effect.either(loadBase)
              if (reloaded._tag === "Left") return yield* unreadable(trigger)(reloaded.left)
              base = reloaded.right
              if (!(yield* isDue(trigger, base))) return succeeded(base)
            }
            if (deadVersion === base.version) {
              return yield* failOrServe(trigger, base, new ReauthorizationRequired({ key, reason: "InvalidGrant" }))
            }
            if (Option.isNone(base.refreshToken)) {
              return yield* failOrServe(trigger, base, new ReauthorizationRequired({ key, reason: "NoRefreshToken" }))
            }
            return yield* refreshFrom(restore, trigger, base, base.refreshToken.value, false, lease)
          }).pipe(Effect.ensuring(closeLease(lease)))
        })
      ).pipe(
        lock.withPermits(1),
        Effect.withSpan("TokenManager.refresh", { attributes: { ...annotations, "ultracart.trigger": trigger._tag } }),
        Effect.annotateLogs(annotations)
      )

    /** The flight in progress (`joined`), or a new one started in the manager's scope. */
    const launch = (trigger: Trigger) =>
      Effect.uninterruptible(
        Effect.suspend(() => {
          if (flight !== undefined) return Effect.succeed({ deferred: flight, joined: true })
          const deferred = Deferred.unsafeMake<TokenSet, TokenManagerError>(FiberId.none)
          flight = deferred
          const run = fly(trigger).pipe(
            Effect.onExit((exit) =>
              Effect.suspend(() => {
                if (flight === deferred) flight = undefined
                return Deferred.done(deferred, exit)
              })
            )
          )
          return Effect.as(Effect.forkIn(Effect.interruptible(run), flightScope), { deferred, joined: false })
        })
      )

    /** Joins the flight in progress, or starts one; either way the caller only awaits it. */
    const singleFlight = (trigger: Trigger): Effect.Effect<TokenSet, TokenManagerError> =>
      Effect.flatMap(launch(trigger), ({ deferred, joined }) =>
        joined
          ? Effect.zipRight(Metric.increment(metrics.singleFlightJoins), Deferred.await(deferred))
          : Deferred.await(deferred)
      )

    /**
     * Off the hot path. In a back-off after a failure: answer from memory. With a token still valid: refresh
     * behind the caller, who goes on with it at once (unless `wait`). Otherwise: wait for the refresh.
     */
    const slowPath = (now: number, wait: boolean): Effect.Effect<TokenSet, TokenManagerError> => {
      if (now < retryAtMillis && lastError !== undefined) {
        return current !== undefined && now < expiresAtMillis ? Effect.succeed(current) : Effect.fail(lastError)
      }
      if (!wait && current !== undefined && now < expiresAtMillis) return Effect.as(launch({ _tag: "Due" }), current)
      return singleFlight({ _tag: "Due" })
    }

    const freshTokens = (wait: boolean): Effect.Effect<TokenSet, TokenManagerError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        current !== undefined && now < refreshAtMillis && pending === undefined
          ? Effect.succeed(current)
          : slowPath(now, wait)
      )

    const tokens = freshTokens(false)

    const invalidate = (rejected: TokenSet): Effect.Effect<TokenSet, TokenManagerError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (current !== undefined && current.version !== rejected.version && now < expiresAtMillis) {
          return Effect.succeed(current)
        }
        if (now < retryAtMillis && lastError !== undefined) return Effect.fail(lastError)
        return singleFlight({ _tag: "Rejected", version: rejected.version })
      })

    const save = (response: TokenResponse.TokenResponse, issuedAt?: DateTime.Utc) =>
      Effect.gen(function* () {
        const issuedAtMillis =
          issuedAt === undefined ? yield* Clock.currentTimeMillis : DateTime.toEpochMillis(issuedAt)
        const saved = yield* store.save(key, fromResponse(response, issuedAtMillis, undefined))
        // A new grant supersedes a rotation of the old one still waiting for the store.
        yield* dropPending
        deadVersion = undefined
        return succeeded(saved)
      }).pipe(lock.withPermits(1))

    const revoke = (
      restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
      token: Option.Option<Redacted.Redacted<string>>
    ): Effect.Effect<RevocationOutcome> =>
      Option.match(token, {
        onNone: () => Effect.succeed({ _tag: "Absent" } as const),
        onSome: (token) =>
          Effect.map(
            Effect.exit(restore(oauth.revoke({ token }))),
            (exit): RevocationOutcome =>
              Exit.isSuccess(exit) ? { _tag: "Revoked" } : { _tag: "Failed", cause: exit.cause }
          )
      })

    const logout: Effect.Effect<Logout, TokenStoreError> = Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        // A pending rotation is what UltraCart holds now; the store still has the refresh token it retired.
        const stored = pending === undefined ? yield* Effect.option(store.load(key)) : Option.none()
        const tokens = Option.getOrUndefined(Option.flatten(stored)) ?? current
        const refreshToken = yield* revoke(restore, tokens?.refreshToken ?? Option.none())
        const accessToken = yield* revoke(restore, Option.fromNullable(tokens?.accessToken))
        yield* dropPending
        adopt(undefined)
        deadVersion = undefined
        failures = 0
        retryAtMillis = 0
        lastError = undefined
        yield* store.clear(key)
        yield* Effect.logInfo("logged out").pipe(
          Effect.annotateLogs({
            "revocation.refresh_token": refreshToken._tag,
            "revocation.access_token": accessToken._tag
          })
        )
        return { refreshToken, accessToken }
      })
    ).pipe(
      lock.withPermits(1),
      Effect.withSpan("TokenManager.logout", { attributes: annotations }),
      Effect.annotateLogs(annotations)
    )

    const service: TokenManager.Service = {
      key,
      tokens,
      accessToken: Effect.map(tokens, (t) => t.accessToken),
      refresh: singleFlight({ _tag: "Forced" }),
      invalidate,
      save,
      login: (exchange) =>
        Effect.flatMap(DateTime.now, (started) => Effect.flatMap(exchange, (response) => save(response, started))),
      logout
    }

    if (options.backgroundRefresh === true) {
      yield* Effect.forkScoped(
        backgroundRefresh(freshTokens(true), () => ({ current, refreshAtMillis, retryAtMillis }))
      )
    }
    return service
  })

/** Wakes at each refresh point (or after each back-off) and refreshes; polls the store while there is no grant. */
const backgroundRefresh = (
  renew: Effect.Effect<TokenSet, TokenManagerError>,
  state: () => { current: TokenSet | undefined; refreshAtMillis: number; retryAtMillis: number }
) =>
  Effect.forever(
    Effect.gen(function* () {
      yield* Effect.exit(renew)
      const now = yield* Clock.currentTimeMillis
      const { current, refreshAtMillis, retryAtMillis } = state()
      const wakeAt =
        current === undefined
          ? now + IDLE_POLL_MILLIS
          : now < refreshAtMillis
            ? refreshAtMillis
            : Math.max(retryAtMillis, now + 1_000)
      yield* Effect.sleep(Duration.millis(Math.min(wakeAt - now, IDLE_POLL_MILLIS)))
    })
  )

/**
 * The token manager as a Layer; its refreshes and background fiber stop with it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: TokenManagerOptions
): Layer.Layer<TokenManager, never, OAuthClient.OAuthClient | TokenStore> => Layer.scoped(TokenManager, make(options))

/**
 * Options from configuration: `ULTRACART_TOKEN_GRANT` (the key), `ULTRACART_TOKEN_REFRESH_MARGIN` and
 * `ULTRACART_TOKEN_DEFAULT_LIFETIME` (durations such as `5 minutes`), `ULTRACART_TOKEN_BACKGROUND_REFRESH`.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<TokenManagerOptions> = Config.all({
  key: Config.option(Config.nonEmptyString("ULTRACART_TOKEN_GRANT")),
  refreshMargin: Config.option(Config.duration("ULTRACART_TOKEN_REFRESH_MARGIN")),
  defaultLifetime: Config.option(Config.duration("ULTRACART_TOKEN_DEFAULT_LIFETIME")),
  backgroundRefresh: Config.withDefault(Config.boolean("ULTRACART_TOKEN_BACKGROUND_REFRESH"), false)
}).pipe(
  Config.map(
    (c): TokenManagerOptions => ({
      key: Option.getOrUndefined(c.key),
      refreshMargin: Option.getOrUndefined(c.refreshMargin),
      defaultLifetime: Option.getOrUndefined(c.defaultLifetime),
      backgroundRefresh: c.backgroundRefresh
    })
  )
)

/**
 * The token manager as a Layer, from configuration ({@link config} unless another is given).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config<TokenManagerOptions> = config
): Layer.Layer<TokenManager, ConfigError.ConfigError, OAuthClient.OAuthClient | TokenStore> =>
  Layer.scoped(TokenManager, Effect.flatMap(options, make))

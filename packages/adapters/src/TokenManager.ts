/**
 * Hands out a valid access token for one grant: refreshes ahead of expiry, one refresh at a time however many
 * fibers ask, persists rotations (keeping one the store could not take pending, with the grant's lease, until it
 * can), and recovers from lost races and lost responses by re-reading the `TokenStore`.
 *
 * The manager is a state machine (`internal/tokenState.ts`: every state as one tagged union; `internal/tokenFlight.ts`:
 * a refresh as pure steps). This module is its shell: the one place with a lock, fibers, the store and the
 * network; it runs what the machine decides and feeds back what happened.
 *
 * @since 0.1.0
 */
import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
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
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import type { GrantEventSink } from "./GrantEvent.js"
import * as tokenFlight from "./internal/tokenFlight.js"
import * as tokenState from "./internal/tokenState.js"
import { OutcomeUnknown } from "./OutcomeUnknown.js"
import type { ReauthorizationRequired } from "./ReauthorizationRequired.js"
import { type TokenSet, TokenStore, type TokenStoreError } from "./TokenStore.js"

export {
  /**
   * The grant cannot give an access token any more: the merchant must authorize the app again.
   *
   * @since 0.1.0
   * @category errors
   */
  ReauthorizationRequired
} from "./ReauthorizationRequired.js"

/**
 * Everything asking for a token can fail with. Transient failures (`RateLimited`, `ServerError`, a
 * `TransportError`…) come through as core's errors; the stored tokens are kept.
 *
 * @since 0.1.0
 * @category errors
 */
export type TokenManagerError = ReauthorizationRequired | TokenStoreError | OutcomeUnknown | OAuthError.OAuthClientError

/**
 * Where the manager stands, for diagnostics and for a registry deciding whether it may let the manager go:
 * `phase` names the state by the clock (`NoTokens`, `Fresh`, `RefreshDue`, `Expired`, `RotationPending`,
 * `OutcomeUnknown` — a refresh's answer was lost and nothing newer is stored —, `Dead`),
 * `refreshing` says a flight (refresh or store read) is in progress.
 *
 * @since 0.2.0
 * @category models
 */
export interface TokenManagerStatus {
  readonly phase: "NoTokens" | "Fresh" | "RefreshDue" | "Expired" | "RotationPending" | "OutcomeUnknown" | "Dead"
  readonly refreshing: boolean
}

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
   * After a refresh whose outcome is unknown (a lost answer, a timeout after sending) with no newer token in the
   * store, UltraCart may have rotated the refresh token — and sending the old one again may revoke the grant, its
   * access tokens included. So by default (`"repeatAtExpiry"`) the manager keeps serving the current access token
   * while it is valid and sends the old refresh token once more only when the access token can no longer serve
   * (expired, or refused by the API). `"repeatAtOnce"` repeats it at once (recovers sooner where UltraCart never
   * got the request or allows reuse); `"never"` never sends it again. Either way it is sent again at most once;
   * after that, `ReauthorizationRequired` (`OutcomeUnknown`).
   */
  readonly ambiguousRefresh?: "repeatAtExpiry" | "repeatAtOnce" | "never" | undefined
  /**
   * @deprecated Use `ambiguousRefresh`: `true` is `"repeatAtOnce"`, `false` is `"repeatAtExpiry"`.
   */
  readonly repeatAmbiguousRefresh?: boolean | undefined
  /**
   * A token is used at least this long after it was issued, whatever its `expires_in` says (default 1 second):
   * a floor on the refresh interval, so that an `expires_in` of 0 or a few seconds does not turn every call into a
   * refresh. If the API refuses such a token meanwhile, `invalidate` (the authenticated client's 401 replay)
   * refreshes once. `0` turns the floor off.
   */
  readonly minRefreshInterval?: Duration.DurationInput | undefined
  /**
   * The hard limit on waiting for a refresh's answer (default 90 seconds; the OAuth client's own deadlines usually
   * end it sooner). A refresh that has gone out is awaited by the manager itself — a caller that times out or is
   * interrupted never abandons it, and a rotation that arrives late is stored. Past this limit its outcome is
   * unknown (see `ambiguousRefresh`). Keep it below the store's lease bound.
   */
  readonly refreshTimeout?: Duration.DurationInput | undefined
  /** How long closing the Layer waits for a refresh in flight, so a rotation is persisted (10 seconds). */
  readonly shutdownGrace?: Duration.DurationInput | undefined
  /**
   * Told of the grant's events as they happen: connected (a login saved), refreshed (a rotation stored),
   * reauthorization required (once per dead grant), disconnected (logout). Runs on the manager's fiber: keep it
   * short; it must not fail.
   */
  readonly onEvent?: GrantEventSink | undefined
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
    /** Where the manager stands now (no request, no store read). */
    readonly status: Effect.Effect<TokenManagerStatus>
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

type Lease = Scope.CloseableScope
type Waiters = Deferred.Deferred<TokenSet, TokenManagerError>
type State = tokenState.TokenState<Lease, Waiters>
type Note = tokenState.Note<Lease>
type Trigger = tokenState.Trigger

const IDLE_POLL_MILLIS = 60_000

const LOG_LEVELS = {
  Debug: LogLevel.Debug,
  Info: LogLevel.Info,
  Warning: LogLevel.Warning,
  Error: LogLevel.Error
} as const

/** The machine's settings from the options. */
const configOf = (options: TokenManagerOptions, key: string, leases: boolean): tokenState.Config => ({
  key,
  marginMillis: Duration.toMillis(options.refreshMargin ?? Duration.minutes(5)),
  defaultLifetimeMillis: Duration.toMillis(options.defaultLifetime ?? Duration.minutes(30)),
  backoffMillis: Duration.toMillis(options.retryBackoff ?? Duration.seconds(1)),
  maxBackoffMillis: Duration.toMillis(options.maxRetryBackoff ?? Duration.minutes(1)),
  ambiguous:
    options.ambiguousRefresh === "never"
      ? "Never"
      : options.ambiguousRefresh === "repeatAtOnce" ||
          (options.ambiguousRefresh === undefined && options.repeatAmbiguousRefresh === true)
        ? "AtOnce"
        : "AtExpiry",
  minLifetimeMillis: Duration.toMillis(options.minRefreshInterval ?? Duration.seconds(1)),
  leases
})

/**
 * The shell around the machine: holds its state in one field (written only synchronously, between steps, so the
 * hot path reads it without a lock), runs its commands and notes, and keeps the fibers (flights, the persist
 * retrier) in the manager's scope.
 */
class Shell {
  state: State = { _tag: "Empty", failure: Option.none() }
  /** The persist retrier is running (a fiber of the flight scope; it ends when no rotation is pending). */
  private retrying = false
  readonly annotations: Readonly<Record<string, string>>

  constructor(
    readonly config: tokenState.Config,
    readonly oauth: OAuthClient.OAuthClient.Service,
    readonly store: TokenStore.Service,
    readonly lock: Effect.Semaphore,
    readonly flightScope: Scope.Scope,
    readonly sink: GrantEventSink | undefined,
    readonly refreshTimeout: Duration.Duration
  ) {
    this.annotations = { "ultracart.grant": config.key }
  }

  // --- notes and commands ---------------------------------------------------------------------------------------

  runNote = (note: Note): Effect.Effect<void> => {
    switch (note._tag) {
      case "Emit":
        return this.sink === undefined ? Effect.void : this.sink(note.event)
      case "Log":
        return Effect.logWithLevel(LOG_LEVELS[note.level], note.message).pipe(Effect.annotateLogs(note.annotations))
      case "Count": {
        const metric = metrics[note.metric]
        return Metric.increment(note.tag === undefined ? metric : Metric.tagged(metric, note.tag[0], note.tag[1]))
      }
      case "Release":
        return Scope.close(note.lease, Exit.void)
      case "Retry":
        return this.startRetrier
    }
  }

  runNotes = (notes: ReadonlyArray<Note>): Effect.Effect<void> =>
    notes.length === 0 ? Effect.void : Effect.forEach(notes, this.runNote, { discard: true })

  /** Runs one command of a flight and tells what it learned. Only the lease and the request are interruptible. */
  perform = (
    command: Exclude<tokenState.Command, { _tag: "Finish" }>,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<tokenState.Input<Lease>> => {
    const key = this.config.key
    switch (command._tag) {
      case "Load":
        return Effect.map(Effect.either(this.store.load(key)), (result) => ({ _tag: "Loaded", result }) as const)
      case "CompareAndSet":
        return Effect.map(
          Effect.either(this.store.compareAndSet(key, command.expected, command.tokens)),
          (result) => ({ _tag: "Stored", result }) as const
        )
      case "Lease":
        return this.lease(restore)
      case "Send":
        return Effect.flatMap(
          Effect.exit(restore(this.refreshRequest(command.refreshToken))),
          (exit): Effect.Effect<tokenState.Input<Lease>> => {
            if (Exit.isSuccess(exit)) return Effect.succeed({ _tag: "Answered", response: exit.value } as const)
            const failure = Cause.failureOption(exit.cause)
            return Option.isSome(failure)
              ? // The error itself, not the span-annotated proxy a failure inside a span becomes.
                Effect.succeed({ _tag: "Refused", error: Cause.originalError(failure.value) } as const)
              : Effect.failCause(Cause.stripFailures(exit.cause))
          }
        )
    }
  }

  /** The refresh request, bounded by the hard limit: past it, its outcome is unknown. */
  private refreshRequest = (refreshToken: Redacted.Redacted<string>) =>
    Effect.timeoutFail(this.oauth.refresh({ refreshToken }), {
      duration: this.refreshTimeout,
      onTimeout: () =>
        new OutcomeUnknown({
          grantType: "refresh_token",
          reason: "Timeout",
          detail: `no answer within the token manager's refreshTimeout (${Duration.format(this.refreshTimeout)})`
        })
    })

  private lease = (restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) =>
    Effect.gen(this, function* () {
      const scope = yield* Scope.make()
      const lease = this.store.lease?.(this.config.key) ?? Effect.void
      const taken = yield* Effect.either(restore(Scope.extend(lease, scope))).pipe(
        Effect.onInterrupt(() => Scope.close(scope, Exit.void))
      )
      if (Either.isLeft(taken)) yield* Scope.close(scope, Exit.void)
      return { _tag: "Leased", result: Either.map(taken, () => scope) } as const
    })

  // --- flights ------------------------------------------------------------------------------------------------------

  /** One flight, under the lock: the machine's steps until it finishes. */
  fly: Effect.Effect<TokenSet, TokenManagerError> = Effect.uninterruptibleMask((restore) =>
    Effect.gen(this, function* () {
      if (this.state._tag !== "Refreshing") return yield* Effect.dieMessage("token manager: a flight without its state")
      let next = tokenFlight.begin(this.state, this.config)
      for (;;) {
        this.state = next.state
        yield* this.runNotes(next.notes)
        const command = next.command
        if (command._tag === "Finish") return yield* command.exit
        const input = yield* this.perform(command, restore)
        const now = yield* Clock.currentTimeMillis
        if (this.state._tag !== "Refreshing") return yield* Effect.dieMessage("token manager: a flight lost its state")
        next = tokenFlight.advance(this.state, input, now, this.config)
      }
    })
  )

  /** The flight in progress (`joined`), or a new one started in the manager's scope. */
  launch = (trigger: Trigger): Effect.Effect<{ readonly waiters: Waiters; readonly joined: boolean }> =>
    Effect.uninterruptible(
      Effect.suspend((): Effect.Effect<{ readonly waiters: Waiters; readonly joined: boolean }> => {
        if (this.state._tag === "Refreshing") return Effect.succeed({ waiters: this.state.waiters, joined: true })
        const waiters = Deferred.unsafeMake<TokenSet, TokenManagerError>(FiberId.none)
        this.state = tokenFlight.launched(this.state, trigger, waiters)
        const run = this.fly.pipe(
          this.lock.withPermits(1),
          Effect.withSpan("TokenManager.refresh", {
            attributes: { ...this.annotations, "ultracart.trigger": trigger._tag }
          }),
          Effect.annotateLogs(this.annotations),
          Effect.onExit((exit) => this.landed(waiters, exit))
        )
        return Effect.as(Effect.forkIn(Effect.interruptible(run), this.flightScope), { waiters, joined: false })
      })
    )

  /** A flight ended: its callers get the answer. One that died or was interrupted leaves its state as it was. */
  private landed = (waiters: Waiters, exit: Exit.Exit<TokenSet, TokenManagerError>) =>
    Effect.suspend(() => {
      if (this.state._tag !== "Refreshing" || this.state.waiters !== waiters) return Deferred.done(waiters, exit)
      const { notes, state } = tokenState.crashed(this.state)
      this.state = state
      return Effect.zipRight(this.runNotes(notes), Deferred.done(waiters, exit))
    })

  /** Joins the flight in progress, or starts one; either way the caller only awaits it. */
  singleFlight = (trigger: Trigger): Effect.Effect<TokenSet, TokenManagerError> =>
    Effect.flatMap(this.launch(trigger), ({ joined, waiters }) =>
      joined
        ? Effect.zipRight(Metric.increment(metrics.singleFlightJoins), Deferred.await(waiters))
        : Deferred.await(waiters)
    )

  /** Off the hot path: the machine decides between an answer from memory and a flight. */
  ask = (request: tokenState.Request, now: number): Effect.Effect<TokenSet, TokenManagerError> => {
    const decision = tokenState.decide(this.state, request, now)
    if (decision._tag === "Answer") return decision.exit
    return Option.match(decision.meanwhile, {
      onNone: () => this.singleFlight(decision.trigger),
      onSome: (meanwhile) => Effect.zipRight(this.launch(decision.trigger), meanwhile)
    })
  }

  /** One fiber per pending rotation: at each back-off's end it runs a flight that stores it. */
  private startRetrier: Effect.Effect<void> = Effect.suspend(() => {
    if (this.retrying || Option.isNone(tokenState.persistAt(this.state))) return Effect.void
    this.retrying = true
    const loop = Effect.gen(this, function* () {
      for (;;) {
        const at = tokenState.persistAt(this.state)
        if (Option.isNone(at)) return
        const now = yield* Clock.currentTimeMillis
        yield* Effect.sleep(Duration.millis(Math.max(at.value - now, 0)))
        if (Option.isSome(tokenState.persistAt(this.state))) yield* Effect.exit(this.singleFlight({ _tag: "Persist" }))
      }
    }).pipe(Effect.ensuring(Effect.sync(() => void (this.retrying = false))))
    return Effect.asVoid(Effect.forkIn(Effect.interruptible(loop), this.flightScope))
  })

  // --- the service --------------------------------------------------------------------------------------------------

  /** The hot path: a plain read of the state and the clock; a fresh set is handed out as a ready answer. */
  freshTokens = (wait: boolean): Effect.Effect<TokenSet, TokenManagerError> =>
    Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      const settled = tokenState.settledOf(this.state)
      return tokenState.isFresh(settled, now) ? settled.grant.served : this.ask({ _tag: "Tokens", wait }, now)
    })

  accessToken: Effect.Effect<Redacted.Redacted<string>, TokenManagerError> = Effect.clockWith((clock) => {
    const now = clock.unsafeCurrentTimeMillis()
    const settled = tokenState.settledOf(this.state)
    return tokenState.isFresh(settled, now)
      ? settled.grant.servedAccess
      : Effect.map(this.ask({ _tag: "Tokens", wait: false }, now), (tokens) => tokens.accessToken)
  })

  invalidate = (rejected: TokenSet): Effect.Effect<TokenSet, TokenManagerError> =>
    Effect.clockWith((clock) =>
      this.ask({ _tag: "Rejected", version: rejected.version }, clock.unsafeCurrentTimeMillis())
    )

  save = (response: TokenResponse.TokenResponse, issuedAt?: DateTime.Utc): Effect.Effect<TokenSet, TokenStoreError> =>
    Effect.gen(this, function* () {
      const issuedAtMillis = issuedAt === undefined ? yield* Clock.currentTimeMillis : DateTime.toEpochMillis(issuedAt)
      const tokens = tokenState.fromResponse(response, issuedAtMillis, undefined, this.config)
      const stored = yield* this.store.save(this.config.key, tokens)
      const { notes, state } = tokenState.saved(this.state, stored, this.config)
      this.state = state
      yield* this.runNotes(notes)
      return stored
    }).pipe(this.underLease, this.lock.withPermits(1))

  /**
   * Runs a login or logout holding the grant's lease (where the store has leases), so that it neither lands in the
   * middle of another process's refresh nor is overwritten by its rotation. A manager whose pending rotation holds
   * the lease already goes on with it (the login or logout supersedes the rotation and frees it).
   */
  private underLease = <A, E>(body: Effect.Effect<A, E>): Effect.Effect<A, E | TokenStoreError> =>
    Effect.suspend(() => {
      const settled = tokenState.settledOf(this.state)
      const holding = settled._tag === "Rotated" && Option.isSome(settled.rotation.lease)
      const lease = this.store.lease
      return lease === undefined || holding ? body : Effect.scoped(Effect.zipRight(lease(this.config.key), body))
    })

  private revoke = (
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    token: Option.Option<Redacted.Redacted<string>>
  ): Effect.Effect<RevocationOutcome> =>
    Option.match(token, {
      onNone: () => Effect.succeed({ _tag: "Absent" } as const),
      onSome: (token) =>
        Effect.map(
          Effect.exit(restore(this.oauth.revoke({ token }))),
          (exit): RevocationOutcome =>
            Exit.isSuccess(exit) ? { _tag: "Revoked" } : { _tag: "Failed", cause: exit.cause }
        )
    })

  private logout = (): Effect.Effect<Logout, TokenStoreError> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(this, function* () {
        // A pending rotation is what UltraCart holds now; the store still has the refresh token it retired.
        const stored = tokenState.storeHoldsLatest(this.state)
          ? Option.flatten(yield* Effect.option(this.store.load(this.config.key)))
          : Option.none()
        const tokens = Option.getOrUndefined(stored) ?? tokenState.grantOf(tokenState.settledOf(this.state))?.tokens
        const refreshToken = yield* this.revoke(restore, tokens?.refreshToken ?? Option.none())
        const accessToken = yield* this.revoke(restore, Option.fromNullable(tokens?.accessToken))
        const outcome = { refreshToken: refreshToken._tag, accessToken: accessToken._tag }
        const { event, release, state } = tokenState.loggedOut(this.state, outcome, this.config)
        this.state = state
        yield* this.store.clear(this.config.key).pipe(Effect.ensuring(this.runNotes(release)))
        yield* Effect.logInfo("logged out").pipe(
          Effect.annotateLogs({
            "revocation.refresh_token": refreshToken._tag,
            "revocation.access_token": accessToken._tag
          })
        )
        yield* this.runNote(event)
        return { refreshToken, accessToken }
      })
    ).pipe(
      this.underLease,
      this.lock.withPermits(1),
      Effect.withSpan("TokenManager.logout", { attributes: this.annotations }),
      Effect.annotateLogs(this.annotations)
    )

  status: Effect.Effect<TokenManagerStatus> = Effect.clockWith((clock) =>
    Effect.succeed({
      phase: tokenState.phase(this.state, clock.unsafeCurrentTimeMillis()),
      refreshing: this.state._tag === "Refreshing"
    })
  )

  /**
   * Closing: a flight in progress gets `grace` to finish (so its rotation is stored), a pending rotation a last
   * attempt; one still unstored is reported and given up (its lease freed).
   */
  shutdown = (grace: Duration.Duration): Effect.Effect<void> =>
    Effect.suspend(() =>
      this.state._tag === "Refreshing"
        ? Effect.ignore(Effect.timeout(Effect.interruptible(Deferred.await(this.state.waiters)), grace))
        : Effect.void
    ).pipe(
      Effect.zipRight(
        Effect.suspend(() =>
          Option.isSome(tokenState.persistAt(this.state))
            ? Effect.ignore(Effect.timeout(Effect.interruptible(this.singleFlight({ _tag: "Settle" })), grace))
            : Effect.void
        )
      ),
      Effect.zipRight(
        Effect.suspend(() => {
          const { notes, state } = tokenState.abandoned(tokenState.settledOf(this.state))
          this.state = state
          return this.runNotes(notes)
        })
      ),
      Effect.annotateLogs(this.annotations)
    )

  service = (): TokenManager.Service => ({
    key: this.config.key,
    tokens: this.freshTokens(false),
    accessToken: this.accessToken,
    refresh: this.singleFlight({ _tag: "Forced" }),
    invalidate: this.invalidate,
    save: this.save,
    login: (exchange) =>
      Effect.flatMap(DateTime.now, (started) => Effect.flatMap(exchange, (response) => this.save(response, started))),
    logout: this.logout(),
    status: this.status
  })
}

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
    const config = configOf(options, options.key ?? oauth.clientId, store.lease !== undefined)
    const lock = yield* Effect.makeSemaphore(1)
    const scope = yield* Effect.scope
    const flightScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
    const refreshTimeout = Duration.decode(options.refreshTimeout ?? Duration.seconds(90))
    const shell = new Shell(config, oauth, store, lock, flightScope, options.onEvent, refreshTimeout)
    // Added after the flight scope, so it runs before that scope closes.
    yield* Effect.addFinalizer(() => shell.shutdown(Duration.decode(options.shutdownGrace ?? Duration.seconds(10))))
    if (options.backgroundRefresh === true) yield* Effect.forkScoped(backgroundRefresh(shell))
    return shell.service()
  })

/** Wakes at each refresh point (or after each back-off) and refreshes; polls the store while there is no grant. */
const backgroundRefresh = (shell: Shell) =>
  Effect.forever(
    Effect.gen(function* () {
      yield* Effect.exit(shell.freshTokens(true))
      const now = yield* Clock.currentTimeMillis
      const wakeAt = tokenState.backgroundWakeAt(shell.state, now, IDLE_POLL_MILLIS)
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

const optionalDuration = (name: string) => Config.option(Config.duration(name))

/**
 * Every option from configuration (each optional; the defaults are the options'):
 * `ULTRACART_TOKEN_GRANT` (the key), `ULTRACART_TOKEN_REFRESH_MARGIN`, `ULTRACART_TOKEN_DEFAULT_LIFETIME`,
 * `ULTRACART_TOKEN_BACKGROUND_REFRESH` (a boolean), `ULTRACART_TOKEN_RETRY_BACKOFF`,
 * `ULTRACART_TOKEN_MAX_RETRY_BACKOFF`, `ULTRACART_TOKEN_AMBIGUOUS_REFRESH` (`repeatAtExpiry`, `repeatAtOnce` or
 * `never`), `ULTRACART_TOKEN_MIN_REFRESH_INTERVAL`, `ULTRACART_TOKEN_REFRESH_TIMEOUT` and
 * `ULTRACART_TOKEN_SHUTDOWN_GRACE` (durations such as `5 minutes`).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<TokenManagerOptions> = Config.all({
  key: Config.option(Config.nonEmptyString("ULTRACART_TOKEN_GRANT")),
  refreshMargin: optionalDuration("ULTRACART_TOKEN_REFRESH_MARGIN"),
  defaultLifetime: optionalDuration("ULTRACART_TOKEN_DEFAULT_LIFETIME"),
  backgroundRefresh: Config.withDefault(Config.boolean("ULTRACART_TOKEN_BACKGROUND_REFRESH"), false),
  retryBackoff: optionalDuration("ULTRACART_TOKEN_RETRY_BACKOFF"),
  maxRetryBackoff: optionalDuration("ULTRACART_TOKEN_MAX_RETRY_BACKOFF"),
  ambiguousRefresh: Config.option(
    Config.literal("repeatAtExpiry", "repeatAtOnce", "never")("ULTRACART_TOKEN_AMBIGUOUS_REFRESH")
  ),
  minRefreshInterval: optionalDuration("ULTRACART_TOKEN_MIN_REFRESH_INTERVAL"),
  refreshTimeout: optionalDuration("ULTRACART_TOKEN_REFRESH_TIMEOUT"),
  shutdownGrace: optionalDuration("ULTRACART_TOKEN_SHUTDOWN_GRACE")
}).pipe(
  Config.map(
    ({ backgroundRefresh, ...optional }): TokenManagerOptions => ({
      backgroundRefresh,
      key: Option.getOrUndefined(optional.key),
      refreshMargin: Option.getOrUndefined(optional.refreshMargin),
      defaultLifetime: Option.getOrUndefined(optional.defaultLifetime),
      retryBackoff: Option.getOrUndefined(optional.retryBackoff),
      maxRetryBackoff: Option.getOrUndefined(optional.maxRetryBackoff),
      ambiguousRefresh: Option.getOrUndefined(optional.ambiguousRefresh),
      minRefreshInterval: Option.getOrUndefined(optional.minRefreshInterval),
      refreshTimeout: Option.getOrUndefined(optional.refreshTimeout),
      shutdownGrace: Option.getOrUndefined(optional.shutdownGrace)
    })
  )
)

/**
 * The token manager as a Layer, from configuration: {@link config} unless another is given — one `Config` of the
 * whole options, or a record with a `Config` per option (`layerConfig({ key: Config.string("SHOP") })`, a
 * `Config.Wrap` as first-party Effect packages take).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<TokenManagerOptions> = config
): Layer.Layer<TokenManager, ConfigError.ConfigError, OAuthClient.OAuthClient | TokenStore> =>
  Layer.scoped(TokenManager, Effect.flatMap(ConfigWrap.unwrap(options), make))

/**
 * The token manager as a state machine: every state it can be in, as one tagged union, and the pure functions that
 * move it. A flight (a refresh, or a store read standing in for one) is a sequence of steps; each step's outcome
 * is an input, and {@link advance} answers it with the next state, the notes to act on (events, logs, metrics,
 * leases to free) and the one command to run next. `TokenManager.ts` is the shell that runs the commands.
 *
 * States between flights ({@link Settled}):
 * - `Empty`: no tokens known (not read yet, nothing stored, logged out);
 * - `Live`: a token set believed good; by the clock it is fresh, due for refresh, or expired ({@link phase});
 * - `Rotated`: a rotation UltraCart made that the store has not taken yet. Its tokens are served, its lease held,
 *   the refresh token it replaced never spent again; it is stored before anything else happens;
 * - `Doubtful`: a refresh of the held set was sent and its answer lost, and nothing newer is stored: UltraCart may
 *   have rotated the refresh token. The access token is served while valid; the refresh token is sent again at
 *   most once (`repeats`), only when the access token can no longer serve;
 * - `Dead`: the stored grant's refresh token was refused (or there is none): the merchant must authorize again.
 * Each may carry a {@link Failure} (backing off); `Dead` always does. While a flight runs the state is
 * `Refreshing`, wrapping the settled state it started from (which the flight's steps update as they learn).
 *
 * @internal
 */
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import type * as TokenResponse from "@ultracart-oauth/core/TokenResponse"
import * as DateTime from "effect/DateTime"
import type * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { GrantEvent, type RevocationResult } from "../GrantEvent.js"
import type { OutcomeUnknown } from "../OutcomeUnknown.js"
import type { ReauthorizationRequired } from "../ReauthorizationRequired.js"
import type { CompareAndSetResult, TokenSet, TokenSetInput, TokenStoreError } from "../TokenStore.js"

/** Everything asking for a token can fail with. */
export type ManagerError = ReauthorizationRequired | TokenStoreError | OutcomeUnknown | OAuthError.OAuthClientError

/** The manager's settings, as numbers. */
export interface Config {
  readonly key: string
  readonly marginMillis: number
  readonly defaultLifetimeMillis: number
  readonly backoffMillis: number
  readonly maxBackoffMillis: number
  /** After a refresh whose answer was lost: repeat it at once, once the access token can no longer serve, or never. */
  readonly ambiguous: "AtOnce" | "AtExpiry" | "Never"
  /** A token is used at least this long, whatever its `expires_in` says (a floor on the refresh interval). */
  readonly minLifetimeMillis: number
  /** The store offers a lease shared by processes. */
  readonly leases: boolean
}

/** A token set with the instants the manager acts on, computed once. */
export interface Grant {
  readonly tokens: TokenSet
  readonly refreshAt: number
  readonly expiresAt: number
  /** `tokens` as a ready answer: the hot path hands it out without allocating. */
  readonly served: Exit.Exit<TokenSet, never>
  readonly servedAccess: Exit.Exit<Redacted.Redacted<string>, never>
}

/** The last failure and the back-off it set: no refresh, store read or persist attempt before `retryAt`. */
export interface Failure {
  readonly error: ManagerError
  /** The version of the set the failure is about (0: none held). */
  readonly version: number
  /** Failures in a row. */
  readonly count: number
  readonly retryAt: number
}

/** A rotation the store has not taken yet, with the grant's lease held since the refresh (where there is one). */
export interface Rotation<L> {
  readonly tokens: TokenSetInput
  /** The version the compare-and-set expects: the one refreshed from (or an older-issued one written since). */
  readonly expected: number
  readonly lease: Option.Option<L>
}

/** The state between flights. */
export type Settled<L> =
  | { readonly _tag: "Empty"; readonly failure: Option.Option<Failure> }
  | { readonly _tag: "Live"; readonly grant: Grant; readonly failure: Option.Option<Failure> }
  | {
      readonly _tag: "Rotated"
      readonly grant: Grant
      readonly rotation: Rotation<L>
      readonly failure: Option.Option<Failure>
    }
  | { readonly _tag: "Doubtful"; readonly grant: Grant; readonly failure: Failure; readonly repeats: number }
  | { readonly _tag: "Dead"; readonly grant: Grant; readonly error: ReauthorizationRequired; readonly failure: Failure }

/** Why a flight flies. `Settle` only stores a pending rotation (closing the manager). */
export type Trigger =
  | { readonly _tag: "Due" }
  | { readonly _tag: "Forced" }
  | { readonly _tag: "Rejected"; readonly version: number }
  | { readonly _tag: "Persist" }
  | { readonly _tag: "Settle" }

/** A refresh's failure, as the manager sees it. */
export type RefreshError = OAuthError.OAuthClientError | OutcomeUnknown

/** Where a flight is. */
export type Step =
  /** Launched, waiting for the manager's lock. */
  | { readonly _tag: "Queued" }
  /** Storing a pending rotation before anything else. */
  | { readonly _tag: "Settling"; readonly overwrites: number }
  /** Reading the store (again, under the lease, once the flight holds one). */
  | { readonly _tag: "Loading" }
  /** Taking the grant's lease. */
  | { readonly _tag: "Leasing"; readonly base: TokenSet }
  /** The refresh request is out. */
  | { readonly _tag: "Sending"; readonly base: TokenSet; readonly recovering: boolean; readonly startedAt: number }
  /** Reading the store after a refused or lost refresh: someone may have rotated first. */
  | {
      readonly _tag: "Rereading"
      readonly base: TokenSet
      readonly error: RefreshError
      readonly recovering: boolean
    }
  /** Storing the rotation the refresh brought. */
  | { readonly _tag: "Storing"; readonly base: TokenSet; readonly recovering: boolean; readonly overwrites: number }

/** A flight in progress: `waiters` is the shell's handle every caller awaits, `lease` the lease it holds. */
export interface Refreshing<L, W> {
  readonly _tag: "Refreshing"
  readonly settled: Settled<L>
  readonly trigger: Trigger
  readonly step: Step
  readonly lease: Option.Option<L>
  readonly waiters: W
}

/** Every state the manager can be in. */
export type TokenState<L, W> = Settled<L> | Refreshing<L, W>

/** What a step learned. */
export type Input<L> =
  | { readonly _tag: "Loaded"; readonly result: Either.Either<Option.Option<TokenSet>, TokenStoreError> }
  | { readonly _tag: "Leased"; readonly result: Either.Either<L, TokenStoreError> }
  | { readonly _tag: "Answered"; readonly response: TokenResponse.TokenResponse }
  | { readonly _tag: "Refused"; readonly error: RefreshError }
  | { readonly _tag: "Stored"; readonly result: Either.Either<CompareAndSetResult, TokenStoreError> }

/** The one thing the shell does next in a flight. */
export type Command =
  | { readonly _tag: "Load" }
  | { readonly _tag: "Lease" }
  | { readonly _tag: "Send"; readonly refreshToken: Redacted.Redacted<string> }
  | { readonly _tag: "CompareAndSet"; readonly expected: number; readonly tokens: TokenSetInput }
  | { readonly _tag: "Finish"; readonly exit: Exit.Exit<TokenSet, ManagerError> }

/** The metrics a note can count. */
export type MetricName = "refreshes" | "refreshFailures" | "recoveries" | "persistFailures"

/** Side effects the shell runs, in order, before the next command. */
export type Note<L> =
  | { readonly _tag: "Emit"; readonly event: GrantEvent }
  | {
      readonly _tag: "Log"
      readonly level: "Debug" | "Info" | "Warning" | "Error"
      readonly message: string
      readonly annotations: Readonly<Record<string, unknown>>
    }
  | { readonly _tag: "Count"; readonly metric: MetricName; readonly tag?: readonly [string, string] | undefined }
  | { readonly _tag: "Release"; readonly lease: L }
  /** Start the persist retrier (it stores a pending rotation after each back-off). */
  | { readonly _tag: "Retry" }

/** A transition's answer. */
export interface Next<L, W> {
  readonly state: TokenState<L, W>
  readonly notes: ReadonlyArray<Note<L>>
  readonly command: Command
}

/** How often in a row a pending rotation is written over older-issued tokens before the attempt counts as failed. */
export const MAX_OVERWRITES = 3

/** "Never expires" (an infinite default lifetime) is stored as a century: an instant must be finite. */
const MAX_LIFETIME_MILLIS = 100 * 365 * 24 * 3600_000

// -----------------------------------------------------------------------------
// Reading a state
// -----------------------------------------------------------------------------

/** The state between flights (the one a flight started from, as far as it got). */
export const settledOf = <L, W>(state: TokenState<L, W>): Settled<L> =>
  state._tag === "Refreshing" ? state.settled : state

/** The token set the manager holds, if any. */
export const grantOf = <L>(settled: Settled<L>): Grant | undefined =>
  settled._tag === "Empty" ? undefined : settled.grant

/** The failure the manager is backing off from, if any. */
export const failureOf = <L>(settled: Settled<L>): Failure | undefined =>
  settled._tag === "Dead" || settled._tag === "Doubtful" ? settled.failure : Option.getOrUndefined(settled.failure)

/** A named phase of the state at `now`, for people (logs, tests, diagnostics). */
export type Phase = "NoTokens" | "Fresh" | "RefreshDue" | "Expired" | "RotationPending" | "OutcomeUnknown" | "Dead"

/**
 * @internal
 */
export const phase = <L, W>(state: TokenState<L, W>, now: number): Phase => {
  const settled = settledOf(state)
  switch (settled._tag) {
    case "Empty":
      return "NoTokens"
    case "Rotated":
      return "RotationPending"
    case "Dead":
      return "Dead"
    case "Doubtful":
      return "OutcomeUnknown"
    case "Live":
      return now < settled.grant.refreshAt ? "Fresh" : now < settled.grant.expiresAt ? "RefreshDue" : "Expired"
  }
}

/** When the persist retrier should next store a pending rotation; None when nothing is pending. */
export const persistAt = <L, W>(state: TokenState<L, W>): Option.Option<number> => {
  const settled = settledOf(state)
  return settled._tag === "Rotated" ? Option.some(failureOf(settled)?.retryAt ?? 0) : Option.none()
}

/** When background refresh should wake next (polling the store every `idleMillis` while there is no grant). */
export const backgroundWakeAt = <L, W>(state: TokenState<L, W>, now: number, idleMillis: number): number => {
  const settled = settledOf(state)
  const grant = grantOf(settled)
  if (grant === undefined) return now + idleMillis
  if (now < grant.refreshAt) return grant.refreshAt
  return Math.max(failureOf(settled)?.retryAt ?? 0, now + 1_000)
}

// -----------------------------------------------------------------------------
// Building grants
// -----------------------------------------------------------------------------

/**
 * A token set as the manager holds it. It is used until its expiry — but at least `minLifetimeMillis` from its
 * issue, so that a tiny `expires_in` does not turn every call into a refresh (an API that refuses it meanwhile
 * gets one refresh through `invalidate`) — and refreshed the margin before that, but never before half its life.
 */
export const grant = (tokens: TokenSet, config: Config): Grant => {
  const issued = DateTime.toEpochMillis(tokens.issuedAt)
  const expires = Math.max(DateTime.toEpochMillis(tokens.expiresAt), issued + config.minLifetimeMillis)
  return {
    tokens,
    refreshAt: Math.max(expires - config.marginMillis, issued + (expires - issued) / 2),
    expiresAt: expires,
    served: Exit.succeed(tokens),
    servedAccess: Exit.succeed(tokens.accessToken)
  }
}

/** The tokens a token response gives, its expiry counted from `issuedAtMillis` (when the exchange started). */
export const fromResponse = (
  response: TokenResponse.TokenResponse,
  issuedAtMillis: number,
  previous: TokenSet | undefined,
  config: Config
): TokenSetInput => ({
  accessToken: response.accessToken,
  // RFC 6749 §6: no refresh token in the answer means the old one stays valid.
  refreshToken: Option.orElse(response.refreshToken, () => previous?.refreshToken ?? Option.none()),
  expiresAt: DateTime.unsafeMake(
    issuedAtMillis +
      Math.min(
        MAX_LIFETIME_MILLIS,
        Option.match(response.expiresIn, { onNone: () => config.defaultLifetimeMillis, onSome: (s) => s * 1000 })
      )
  ),
  issuedAt: DateTime.unsafeMake(issuedAtMillis),
  scope: Option.orElse(response.scope, () => previous?.scope ?? Option.none())
})

// -----------------------------------------------------------------------------
// Callers
// -----------------------------------------------------------------------------

/** What a caller asks for: a token (`wait`: never answer before a due refresh), a refresh, a replacement for a refused token. */
export type Request =
  | { readonly _tag: "Tokens"; readonly wait: boolean }
  | { readonly _tag: "Forced" }
  | { readonly _tag: "Rejected"; readonly version: number }

/** The answer to a caller: at once, or by a flight (joined or started), with or without an answer at once. */
export type Decision =
  | { readonly _tag: "Answer"; readonly exit: Exit.Exit<TokenSet, ManagerError> }
  | { readonly _tag: "Fly"; readonly trigger: Trigger; readonly meanwhile: Option.Option<Exit.Exit<TokenSet, never>> }

const answer = (exit: Exit.Exit<TokenSet, ManagerError>): Decision => ({ _tag: "Answer", exit })
const fly = (trigger: Trigger, meanwhile: Option.Option<Exit.Exit<TokenSet, never>> = Option.none()): Decision => ({
  _tag: "Fly",
  trigger,
  meanwhile
})

/** True when the hot path may hand out the held set at once: fresh, and no rotation waiting for the store. */
export const isFresh = <L>(
  settled: Settled<L>,
  now: number
): settled is Extract<Settled<L>, { _tag: "Live" | "Doubtful" | "Dead" }> =>
  (settled._tag === "Live" || settled._tag === "Doubtful" || settled._tag === "Dead") && now < settled.grant.refreshAt

/**
 * Answers a caller. In a back-off after a failure: from memory (the held token while valid, else the error). With
 * a token still valid and no `wait`: at once, with a refresh behind. A refused token already replaced: the newer.
 * Otherwise: by a flight.
 */
export const decide = <L, W>(state: TokenState<L, W>, request: Request, now: number): Decision => {
  const settled = settledOf(state)
  const held = grantOf(settled)
  const failure = failureOf(settled)
  const valid = held !== undefined && now < held.expiresAt
  const backingOff = failure !== undefined && now < failure.retryAt
  switch (request._tag) {
    case "Forced":
      return fly({ _tag: "Forced" })
    case "Rejected":
      if (valid && held.tokens.version !== request.version) return answer(held.served)
      // A token in doubt that the API refuses can no longer serve: the moment for its one repeat.
      if (backingOff && !(settled._tag === "Doubtful" && settled.grant.tokens.version === request.version)) {
        return answer(Exit.fail(failure.error))
      }
      return fly({ _tag: "Rejected", version: request.version })
    case "Tokens":
      if (isFresh(settled, now)) return answer(settled.grant.served)
      if (backingOff) return answer(valid ? held.served : Exit.fail(failure.error))
      if (!request.wait && valid) return fly({ _tag: "Due" }, Option.some(held.served))
      return fly({ _tag: "Due" })
  }
}

// -----------------------------------------------------------------------------
// Outside flights: login and logout
// -----------------------------------------------------------------------------

const releaseRotation = <L>(settled: Settled<L>): Array<Note<L>> =>
  settled._tag === "Rotated" ? Option.toArray(settled.rotation.lease).map((lease) => ({ _tag: "Release", lease })) : []

const mapSettled = <L, W>(state: TokenState<L, W>, settled: Settled<L>): TokenState<L, W> =>
  state._tag === "Refreshing" ? { ...state, settled } : settled

/** A new grant was stored (a code or device exchange): it supersedes everything, a pending rotation included. */
export const saved = <L, W>(
  state: TokenState<L, W>,
  stored: TokenSet,
  config: Config
): { readonly state: TokenState<L, W>; readonly notes: ReadonlyArray<Note<L>> } => ({
  state: mapSettled(state, { _tag: "Live", grant: grant(stored, config), failure: Option.none() }),
  notes: [
    ...releaseRotation(settledOf(state)),
    {
      _tag: "Emit",
      event: GrantEvent.Connected({ key: config.key, version: stored.version, expiresAt: stored.expiresAt })
    }
  ]
})

/** A logout is about to revoke: the store's set, unless a rotation is pending (UltraCart holds that one). */
export const storeHoldsLatest = <L, W>(state: TokenState<L, W>): boolean => settledOf(state)._tag !== "Rotated"

/** The grant was revoked (as far as UltraCart answered) and is being cleared: the event follows the clear. */
export const loggedOut = <L, W>(
  state: TokenState<L, W>,
  outcome: { readonly refreshToken: RevocationResult; readonly accessToken: RevocationResult },
  config: Config
): { readonly state: TokenState<L, W>; readonly release: ReadonlyArray<Note<L>>; readonly event: Note<L> } => ({
  state: mapSettled(state, { _tag: "Empty", failure: Option.none() }),
  release: releaseRotation(settledOf(state)),
  event: { _tag: "Emit", event: GrantEvent.Disconnected({ key: config.key, ...outcome }) }
})

/** A flight was interrupted or died: the state it had reached stays; its own lease is freed. */
export const crashed = <L, W>(
  state: TokenState<L, W>
): { readonly state: Settled<L>; readonly notes: ReadonlyArray<Note<L>> } =>
  state._tag === "Refreshing"
    ? { state: state.settled, notes: Option.toArray(state.lease).map((lease) => ({ _tag: "Release", lease })) }
    : { state, notes: [] }

/** The manager closes with a rotation the store never took: it is given up (and its lease freed). */
export const abandoned = <L>(
  settled: Settled<L>
): { readonly state: Settled<L>; readonly notes: ReadonlyArray<Note<L>> } =>
  settled._tag === "Rotated"
    ? {
        state: { _tag: "Live", grant: settled.grant, failure: settled.failure },
        notes: [
          ...releaseRotation(settled),
          {
            _tag: "Log",
            level: "Error",
            message: "closing with a rotation the store never took: other processes will find a spent refresh token",
            annotations: {}
          }
        ]
      }
    : { state: settled, notes: [] }

/**
 * A flight of the token manager, step by step, as pure transitions over `tokenState`'s states: store a pending
 * rotation first (nothing else happens until the store has it), then read the store, and refresh only if what it
 * holds is due (or was refused). Where the store is shared by processes, the grant's lease is taken first and the
 * store read again, so the process that waited finds the other's rotation instead of spending the same refresh
 * token. A lost race or a lost answer is recovered by reading the store again; a rotation the store does not take
 * stays pending, with the lease.
 *
 * @internal
 */
import * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { GrantEvent } from "../GrantEvent.js"
import { OutcomeUnknown } from "../OutcomeUnknown.js"
import { ReauthorizationRequired } from "../ReauthorizationRequired.js"
import { type CompareAndSetResult, type TokenSet, TokenStoreError, withVersion } from "../TokenStore.js"
import {
  type Config,
  type Failure,
  failureOf,
  fromResponse,
  type Grant,
  grant,
  grantOf,
  type Input,
  MAX_OVERWRITES,
  type ManagerError,
  type MetricName,
  type Next,
  type Note,
  type RefreshError,
  type Refreshing,
  type Rotation,
  type Settled,
  type Step,
  type Trigger
} from "./tokenState.js"

type Flight<L, W> = Refreshing<L, W>

// -----------------------------------------------------------------------------
// Notes and endings
// -----------------------------------------------------------------------------

const log = <L>(
  level: "Debug" | "Info" | "Warning" | "Error",
  message: string,
  annotations: Readonly<Record<string, unknown>> = {}
): Note<L> => ({ _tag: "Log", level, message, annotations })

const count = <L>(metric: MetricName, tag?: readonly [string, string]): Note<L> => ({ _tag: "Count", metric, tag })

const release = <L>(lease: Option.Option<L>): Array<Note<L>> =>
  Option.match(lease, { onNone: () => [], onSome: (lease) => [{ _tag: "Release", lease }] })

const reauthorizationEvent = <L>(config: Config, reason: ReauthorizationRequired["reason"]): Note<L> => ({
  _tag: "Emit",
  event: GrantEvent.ReauthorizationRequired({ key: config.key, reason })
})

const recoveringBase = (step: Step): TokenSet | undefined =>
  (step._tag === "Sending" || step._tag === "Rereading" || step._tag === "Storing") && step.recovering
    ? step.base
    : undefined

/** Ends the flight: the state settles, the flight's own lease is freed, every caller gets `exit`. */
const finish = <L, W>(
  flight: Flight<L, W>,
  settled: Settled<L>,
  exit: Exit.Exit<TokenSet, ManagerError>,
  notes: ReadonlyArray<Note<L>> = []
): Next<L, W> => {
  const base = recoveringBase(flight.step)
  // A repeated refresh that brought something other than what it started from recovered the grant.
  const recovered = base !== undefined && Exit.isSuccess(exit) && exit.value !== base
  return {
    state: settled,
    notes: [...notes, ...release(flight.lease), ...(recovered ? [count<L>("recoveries", ["via", "retry"])] : [])],
    command: { _tag: "Finish", exit }
  }
}

const go = <L, W>(flight: Flight<L, W>, notes: ReadonlyArray<Note<L>>, command: Next<L, W>["command"]): Next<L, W> => ({
  state: flight,
  notes,
  command
})

/**
 * Starts (or lengthens) the back-off: no refresh, store read or persist attempt before `retryAt`. After a store
 * failure the back-off never runs past the access token's expiry: a store that is back by then is tried before
 * any caller is refused a token.
 */
const backoff = <L>(
  settled: Settled<L>,
  error: ManagerError,
  now: number,
  config: Config,
  notBeforeMillis: number
): Failure => {
  const failures = (failureOf(settled)?.count ?? 0) + 1
  const pause = Math.min(config.maxBackoffMillis, config.backoffMillis * 2 ** (failures - 1))
  const retryAt = Math.max(notBeforeMillis, now + pause)
  const held = grantOf(settled)
  const expiresAt = held?.expiresAt ?? 0
  const capped = error._tag === "TokenStoreError" && now < expiresAt ? Math.min(retryAt, expiresAt) : retryAt
  return { error, version: held?.tokens.version ?? 0, count: failures, retryAt: capped }
}

const withFailure = <L>(settled: Settled<L>, failure: Failure): Settled<L> => {
  switch (settled._tag) {
    case "Dead":
    case "Doubtful":
      return { ...settled, failure }
    case "Empty":
    case "Live":
    case "Rotated":
      return { ...settled, failure: Option.some(failure) }
  }
}

/**
 * Answers a failed flight: the back-off starts, and the held token is still served while valid (the margin exists
 * for this) — except to a caller whose token the API just refused, or who asked for a refresh.
 */
const serveOrFail = <L, W>(
  flight: Flight<L, W>,
  settled: Settled<L>,
  tokens: TokenSet | undefined,
  error: ManagerError,
  now: number,
  notes: ReadonlyArray<Note<L>> = []
): Next<L, W> => {
  const serves =
    (flight.trigger._tag === "Due" || flight.trigger._tag === "Persist") &&
    tokens !== undefined &&
    now < DateTime.toEpochMillis(tokens.expiresAt)
  const warning = log<L>("Warning", "token refresh failed", {
    "error.tag": error._tag,
    "error.message": error.message,
    "token.version": tokens?.version ?? 0
  })
  return finish(flight, settled, serves ? Exit.succeed(tokens) : Exit.fail(error), [...notes, warning])
}

const failOrServe = <L, W>(
  flight: Flight<L, W>,
  tokens: TokenSet | undefined,
  error: ManagerError,
  now: number,
  config: Config,
  notBeforeMillis = 0,
  notes: ReadonlyArray<Note<L>> = []
): Next<L, W> => {
  const failure = backoff(flight.settled, error, now, config, notBeforeMillis)
  return serveOrFail(flight, withFailure(flight.settled, failure), tokens, error, now, notes)
}

/** The grant needs the merchant again: `Dead` (told once per dead version), with the back-off. */
const die = <L, W>(
  flight: Flight<L, W>,
  base: TokenSet,
  reason: ReauthorizationRequired["reason"],
  now: number,
  config: Config,
  cause?: RefreshError
): Next<L, W> => {
  const description = cause?._tag === "InvalidGrant" ? cause.description : undefined
  const error = new ReauthorizationRequired({
    key: config.key,
    reason,
    ...(description ? { description } : {}),
    ...(cause === undefined ? {} : { cause })
  })
  const settled = flight.settled
  const alreadyDead = settled._tag === "Dead" && sameSet(settled.grant.tokens, base)
  const failure = backoff(settled, error, now, config, 0)
  const dead: Settled<L> = { _tag: "Dead", grant: heldOrNew(settled, base, config), error, failure }
  return serveOrFail(flight, dead, base, error, now, alreadyDead ? [] : [reauthorizationEvent(config, error.reason)])
}

/** Nothing is stored (logged out, here or elsewhere): `Empty`, told as a reauthorization if a grant was held. */
const emptied = <L, W>(flight: Flight<L, W>, config: Config, notes: ReadonlyArray<Note<L>> = []): Next<L, W> => {
  const held = grantOf(flight.settled) !== undefined
  return finish(
    flight,
    { _tag: "Empty", failure: Option.fromNullable(failureOf(flight.settled)) },
    Exit.fail(new ReauthorizationRequired({ key: config.key, reason: "NoTokens" })),
    [...notes, ...(held ? [reauthorizationEvent<L>(config, "NoTokens")] : [])]
  )
}

/** A success: `Live` with `tokens`, the back-off forgotten. */
const succeeded = <L>(tokens: TokenSet, settled: Settled<L>, config: Config): Settled<L> => ({
  _tag: "Live",
  grant: heldOrNew(settled, tokens, config),
  failure: Option.none()
})

/**
 * The same stored set: the same version *and* the same tokens. A version alone is not enough — a store starts again
 * at version 1 after a logout, so a new grant can carry the number of an old one this manager still holds.
 */
const sameSet = (a: TokenSet, b: TokenSet): boolean =>
  a.version === b.version && Redacted.value(a.accessToken) === Redacted.value(b.accessToken)

const heldOrNew = <L>(settled: Settled<L>, tokens: TokenSet, config: Config): Grant => {
  const held = grantOf(settled)
  return held !== undefined && held.tokens === tokens ? held : grant(tokens, config)
}

// -----------------------------------------------------------------------------
// Starting
// -----------------------------------------------------------------------------

/** A flight launched: in the state at once (every caller joins it), waiting for the manager's lock. */
export const launched = <L, W>(settled: Settled<L>, trigger: Trigger, waiters: W): Flight<L, W> => ({
  _tag: "Refreshing",
  settled,
  trigger,
  step: { _tag: "Queued" },
  lease: Option.none(),
  waiters
})

const compareAndSet = <L>(rotation: Rotation<L>) =>
  ({ _tag: "CompareAndSet", expected: rotation.expected, tokens: rotation.tokens }) as const

/** The flight has the lock: a pending rotation is stored first; otherwise the store is read. */
export const begin = <L, W>(flight: Flight<L, W>, config: Config): Next<L, W> => {
  const settled = flight.settled
  if (settled._tag === "Rotated") {
    return go({ ...flight, step: { _tag: "Settling", overwrites: 0 } }, [], compareAndSet(settled.rotation))
  }
  if (flight.trigger._tag === "Settle") {
    const held = grantOf(settled)
    const none = new ReauthorizationRequired({ key: config.key, reason: "NoTokens" })
    return finish(flight, settled, held === undefined ? Exit.fail(none) : held.served)
  }
  return go({ ...flight, step: { _tag: "Loading" } }, [], { _tag: "Load" })
}

// -----------------------------------------------------------------------------
// Advancing
// -----------------------------------------------------------------------------

/** The next state, notes and command after a step of the flight learned `input` at `now`. */
export const advance = <L, W>(flight: Flight<L, W>, input: Input<L>, now: number, config: Config): Next<L, W> => {
  const step = flight.step
  switch (step._tag) {
    case "Settling":
    case "Storing":
      return input._tag === "Stored" ? stored(flight, step, input.result, now, config) : unexpected(flight, input)
    case "Loading":
      return input._tag === "Loaded" ? loaded(flight, input.result, now, config) : unexpected(flight, input)
    case "Leasing":
      if (input._tag !== "Leased") return unexpected(flight, input)
      return Either.match(input.result, {
        onLeft: (error) => failOrServe(flight, step.base, error, now, config),
        onRight: (lease) =>
          go({ ...flight, lease: Option.some(lease), step: { _tag: "Loading" } }, [], { _tag: "Load" })
      })
    case "Sending":
      if (input._tag === "Answered") return answered(flight, step, input.response, config)
      if (input._tag === "Refused") return refused(flight, step, input.error)
      return unexpected(flight, input)
    case "Rereading":
      return input._tag === "Loaded" ? reread(flight, step, input.result, now, config) : unexpected(flight, input)
    case "Queued":
      return unexpected(flight, input)
  }
}

const unexpected = <L, W>(flight: Flight<L, W>, input: Input<L>): Next<L, W> =>
  finish(flight, flight.settled, Exit.die(new Error(`token manager: ${input._tag} during ${flight.step._tag}`)))

/** Due: refresh now. Forced: always. Rejected: if the refused set is still the one held. */
const isDue = (trigger: Trigger, held: Grant, now: number): boolean =>
  trigger._tag === "Forced" ||
  (trigger._tag !== "Settle" && now >= held.refreshAt) ||
  (trigger._tag === "Rejected" && trigger.version === held.tokens.version)

/** What the store holds becomes what the manager holds (a dead grant stays dead for the same version). */
const adopt = <L>(settled: Settled<L>, held: Grant): Settled<L> => {
  switch (settled._tag) {
    case "Dead":
      return sameSet(settled.grant.tokens, held.tokens)
        ? { ...settled, grant: held }
        : { _tag: "Live", grant: held, failure: Option.some(settled.failure) }
    case "Doubtful":
      return sameSet(settled.grant.tokens, held.tokens)
        ? { ...settled, grant: held }
        : { _tag: "Live", grant: held, failure: Option.some(settled.failure) }
    case "Rotated":
      return settled
    case "Empty":
    case "Live":
      return { _tag: "Live", grant: held, failure: settled.failure }
  }
}

const loaded = <L, W>(
  flight: Flight<L, W>,
  result: Either.Either<Option.Option<TokenSet>, TokenStoreError>,
  now: number,
  config: Config
): Next<L, W> => {
  if (Either.isLeft(result)) return failOrServe(flight, grantOf(flight.settled)?.tokens, result.left, now, config)
  if (Option.isNone(result.right)) return emptied(flight, config)
  const loadedSet = result.right.value
  const heldGrant = grantOf(flight.settled)
  // The same version keeps the very set held (and its instants); a newer one replaces it.
  const base = heldGrant !== undefined && sameSet(heldGrant.tokens, loadedSet) ? heldGrant.tokens : loadedSet
  const held = heldOrNew(flight.settled, base, config)
  const settled = adopt(flight.settled, held)
  const adopted = { ...flight, settled }
  if (!isDue(flight.trigger, held, now)) {
    const kept = settled._tag === "Dead" || settled._tag === "Doubtful" ? settled : succeeded(base, settled, config)
    return finish(adopted, kept, held.served)
  }
  if (config.leases && Option.isNone(flight.lease)) {
    return go({ ...adopted, step: { _tag: "Leasing", base } }, [], { _tag: "Lease" })
  }
  if (settled._tag === "Dead") return failOrServe(adopted, base, settled.error, now, config)
  if (Option.isNone(base.refreshToken)) return die(adopted, base, "NoRefreshToken", now, config)
  if (settled._tag === "Doubtful") return doubtful(adopted, settled, base.refreshToken.value, now, config)
  return send(adopted, base, base.refreshToken.value, false, now)
}

/**
 * The held set's refresh was sent and its answer lost, and the store has nothing newer. While the access token
 * can serve (valid, and not just refused by the API), nothing is sent; then the refresh token is sent once more,
 * if a repeat is left — else the grant needs the merchant again.
 */
const doubtful = <L, W>(
  flight: Flight<L, W>,
  settled: Extract<Settled<L>, { _tag: "Doubtful" }>,
  refreshToken: Redacted.Redacted<string>,
  now: number,
  config: Config
): Next<L, W> => {
  const base = settled.grant.tokens
  const refused = flight.trigger._tag === "Rejected" && flight.trigger.version === base.version
  if (now < settled.grant.expiresAt && !refused) {
    return failOrServe(flight, base, settled.failure.error, now, config, settled.grant.expiresAt)
  }
  if (settled.repeats === 0)
    return die(flight, base, "OutcomeUnknown", now, config, asRefreshError(settled.failure.error))
  const repeating = { ...flight, settled: { ...settled, repeats: settled.repeats - 1 } }
  return send(repeating, base, refreshToken, true, now, [
    log(
      "Info",
      "refresh outcome unknown and nothing newer stored; the access token can no longer serve: repeating it once"
    )
  ])
}

const asRefreshError = (error: ManagerError): RefreshError | undefined =>
  error._tag === "ReauthorizationRequired" || error._tag === "TokenStoreError" ? undefined : error

const send = <L, W>(
  flight: Flight<L, W>,
  base: TokenSet,
  refreshToken: Redacted.Redacted<string>,
  recovering: boolean,
  now: number,
  notes: ReadonlyArray<Note<L>> = []
): Next<L, W> =>
  go({ ...flight, step: { _tag: "Sending", base, recovering, startedAt: now } }, [...notes, count("refreshes")], {
    _tag: "Send",
    refreshToken
  })

/** The refresh answered: its tokens are served at once and stored (the flight's lease passes to the rotation). */
const answered = <L, W>(
  flight: Flight<L, W>,
  step: Extract<Step, { _tag: "Sending" }>,
  response: Parameters<typeof fromResponse>[0],
  config: Config
): Next<L, W> => {
  const tokens = fromResponse(response, step.startedAt, step.base, config)
  const rotation: Rotation<L> = { tokens, expected: step.base.version, lease: flight.lease }
  const settled: Settled<L> = {
    _tag: "Rotated",
    grant: grant(withVersion(tokens, step.base.version + 1), config),
    rotation,
    failure: Option.fromNullable(failureOf(flight.settled))
  }
  return go(
    {
      ...flight,
      settled,
      lease: Option.none(),
      step: { _tag: "Storing", base: step.base, recovering: step.recovering, overwrites: 0 }
    },
    [],
    compareAndSet(rotation)
  )
}

/** A failed refresh whose outcome is unknown: UltraCart may have rotated the refresh token. */
const isAmbiguous = (error: RefreshError): boolean =>
  error._tag === "OutcomeUnknown" ||
  (error._tag === "TransportError" && error.outcome === "Unknown") ||
  (error._tag === "MalformedResponse" && error.status >= 200 && error.status < 300)

const asOutcomeUnknown = (error: RefreshError): RefreshError =>
  error._tag === "TransportError" && error.outcome === "Unknown"
    ? new OutcomeUnknown({ grantType: "refresh_token", reason: error.reason, detail: error.detail })
    : error

/** The refresh failed: lost a race (another fiber or process rotated first) or lost the answer — read the store. */
const refused = <L, W>(flight: Flight<L, W>, step: Extract<Step, { _tag: "Sending" }>, error: RefreshError) => {
  const typed = asOutcomeUnknown(error)
  return go(
    { ...flight, step: { _tag: "Rereading", base: step.base, error: typed, recovering: step.recovering } },
    [count<L>("refreshFailures", ["error", typed._tag])],
    { _tag: "Load" }
  )
}

const reread = <L, W>(
  flight: Flight<L, W>,
  step: Extract<Step, { _tag: "Rereading" }>,
  result: Either.Either<Option.Option<TokenSet>, TokenStoreError>,
  now: number,
  config: Config
): Next<L, W> => {
  const { base, error } = step
  if (Either.isLeft(result)) return failOrServe(flight, base, result.left, now, config)
  if (Option.isNone(result.right)) return emptied(flight, config)
  const latest = result.right.value
  if (!sameSet(latest, base)) {
    return finish(flight, succeeded(latest, flight.settled, config), Exit.succeed(latest), [
      count("recoveries", ["via", "store"]),
      log("Info", "refresh failed but a newer token was stored; using it", {
        "error.tag": error._tag,
        "token.version": latest.version
      })
    ])
  }
  if (error._tag === "InvalidGrant") return die(flight, base, "InvalidGrant", now, config, error)
  if (isPermanent(error)) {
    // Not a code this library knows, but UltraCart refused: confirmed once more before the grant is given up.
    const previous = failureOf(flight.settled)
    const confirmed = previous !== undefined && previous.version === base.version && isPermanentError(previous.error)
    if (confirmed) return die(flight, base, "Refused", now, config, error)
    return failOrServe(flight, base, error, now, config)
  }
  if (!isAmbiguous(error)) {
    // A definite failure of a repeat (not sent, 5xx, 429) leaves the doubt as it was: the repeat is not used up.
    const settled = flight.settled
    const restored =
      settled._tag === "Doubtful" && step.recovering ? { ...settled, repeats: settled.repeats + 1 } : settled
    return failOrServe({ ...flight, settled: restored }, base, error, now, config)
  }
  if (step.recovering) return die(flight, base, "OutcomeUnknown", now, config, error)
  const held = heldOrNew(flight.settled, base, config)
  const refused = flight.trigger._tag === "Rejected" && flight.trigger.version === base.version
  const canServe = now < held.expiresAt && !refused
  const repeatNow = config.ambiguous === "AtOnce" || (config.ambiguous === "AtExpiry" && !canServe)
  if (repeatNow && Option.isSome(base.refreshToken)) {
    // Nobody stored a newer token. Either UltraCart never acted (then the same refresh token works), or it
    // rotated and the answer was lost: then the new token is gone for good, and a repeat either succeeds (a
    // server with a reuse grace period) or ends in invalid_grant — which re-authorization needed anyway.
    return send(flight, base, base.refreshToken.value, true, now, [
      log("Info", "refresh outcome unknown and nothing newer stored; repeating it once")
    ])
  }
  // Doubt: serve the access token while it is valid; not before it runs out, send the refresh token once more.
  const failure = backoff(flight.settled, error, now, config, held.expiresAt)
  const doubt: Settled<L> = { _tag: "Doubtful", grant: held, failure, repeats: config.ambiguous === "Never" ? 0 : 1 }
  return serveOrFail(flight, doubt, base, error, now)
}

/**
 * UltraCart refused the refresh for good, as far as can be told, but not with `invalid_grant` (handled first): an
 * OAuth code, or a 4xx other than 408 and 429 that names none (core's `OAuthError.isRefusal`).
 */
const isPermanent = (error: RefreshError): boolean =>
  error._tag !== "OutcomeUnknown" && error._tag !== "InvalidGrant" && OAuthError.isRefusal(error)

const isPermanentError = (error: ManagerError): boolean =>
  error._tag !== "ReauthorizationRequired" && error._tag !== "TokenStoreError" && isPermanent(error)

// -----------------------------------------------------------------------------
// Storing a rotation
// -----------------------------------------------------------------------------

/**
 * Stores the pending rotation with a compare-and-set. On a conflict the rule is:
 * - the store holds these very tokens (a write that timed out but landed, or one the store finished itself):
 *   stored;
 * - it holds a set whose exchange started no earlier than this rotation's (`issuedAt` ≥ ours: another process's
 *   later refresh, or a new login): that set is newer — adopt it and drop ours;
 * - it holds a set requested *before* this rotation (another writer's older refresh or grant landed while ours
 *   waited): ours is the last one UltraCart issued — write it over that version (at most `MAX_OVERWRITES` times);
 * - nothing (logged out): drop ours, `ReauthorizationRequired`.
 * While the store cannot take it, the rotation stays pending (served, lease held) and a retrier stores it later.
 */
const stored = <L, W>(
  flight: Flight<L, W>,
  step: Extract<Step, { _tag: "Settling" | "Storing" }>,
  result: Either.Either<CompareAndSetResult, TokenStoreError>,
  now: number,
  config: Config
): Next<L, W> => {
  const settled = flight.settled
  if (settled._tag !== "Rotated") return unexpected(flight, { _tag: "Stored", result })
  if (Either.isLeft(result)) return storeFailed(flight, step, settled, result.left, now, config)
  const answer = result.right
  const dropped = release(settled.rotation.lease)
  if (answer._tag === "Written") {
    const notes: Array<Note<L>> = [
      ...dropped,
      log("Debug", "tokens refreshed", {
        "token.version": answer.tokens.version,
        "token.expires_at": DateTime.formatIso(answer.tokens.expiresAt)
      }),
      refreshedEvent(answer.tokens, config)
    ]
    return settledRotation(flight, step, answer.tokens, notes, config)
  }
  if (Option.isNone(answer.current)) return emptied({ ...flight, settled: withoutRotation(settled) }, config, dropped)
  const theirs = answer.current.value
  if (Redacted.value(theirs.accessToken) === Redacted.value(settled.rotation.tokens.accessToken)) {
    return settledRotation(flight, step, theirs, [...dropped, refreshedEvent(theirs, config)], config)
  }
  if (DateTime.toEpochMillis(theirs.issuedAt) >= DateTime.toEpochMillis(settled.rotation.tokens.issuedAt)) {
    // Another process wrote a newer set: the store is the one truth every process shares.
    const notes = [
      ...dropped,
      log<L>("Info", "another writer stored newer tokens meanwhile; using the stored ones", {
        "token.version": theirs.version
      })
    ]
    return settledRotation(flight, step, theirs, notes, config)
  }
  const rotation: Rotation<L> = { ...settled.rotation, expected: theirs.version }
  const overwrites = step.overwrites + 1
  const rewritten = { ...flight, settled: { ...settled, rotation } }
  if (overwrites >= MAX_OVERWRITES) {
    const locked = new TokenStoreError({
      operation: "compareAndSet",
      key: config.key,
      reason: "Locked",
      detail: `other writers stored older tokens over the grant ${MAX_OVERWRITES} times in a row`
    })
    return storeFailed(rewritten, step, rewritten.settled, locked, now, config)
  }
  return go(
    { ...rewritten, step: { ...step, overwrites } },
    [
      log("Warning", "the store holds tokens issued before this rotation; writing the rotation over them", {
        "token.version": theirs.version
      })
    ],
    compareAndSet(rotation)
  )
}

const refreshedEvent = <L>(tokens: TokenSet, config: Config): Note<L> => ({
  _tag: "Emit",
  event: GrantEvent.Refreshed({ key: config.key, version: tokens.version, expiresAt: tokens.expiresAt })
})

const withoutRotation = <L>(settled: Extract<Settled<L>, { _tag: "Rotated" }>): Settled<L> => ({
  _tag: "Live",
  grant: settled.grant,
  failure: settled.failure
})

/** The rotation is settled with `tokens` in the store: a refresh's flight ends; a flight that began so goes on. */
const settledRotation = <L, W>(
  flight: Flight<L, W>,
  step: Extract<Step, { _tag: "Settling" | "Storing" }>,
  tokens: TokenSet,
  notes: ReadonlyArray<Note<L>>,
  config: Config
): Next<L, W> => {
  const settled = succeeded(tokens, flight.settled, config)
  if (step._tag === "Storing" || flight.trigger._tag === "Settle") {
    return finish({ ...flight, settled }, settled, Exit.succeed(tokens), notes)
  }
  return go({ ...flight, settled, step: { _tag: "Loading" } }, notes, { _tag: "Load" })
}

/**
 * The store did not take the rotation: it stays pending (served, lease held) and the retrier stores it after the
 * back-off. A refresh's callers get the new tokens all the same; a flight that began by storing it fails or serves.
 */
const storeFailed = <L, W>(
  flight: Flight<L, W>,
  step: Extract<Step, { _tag: "Settling" | "Storing" }>,
  settled: Extract<Settled<L>, { _tag: "Rotated" }>,
  error: TokenStoreError,
  now: number,
  config: Config
): Next<L, W> => {
  const notes: Array<Note<L>> = [
    count("persistFailures"),
    log("Error", "rotated tokens could not be stored; keeping them and trying again", {
      "error.reason": error.reason,
      "error.message": error.message
    }),
    { _tag: "Retry" }
  ]
  const failing = { ...flight, settled }
  if (step._tag === "Settling") return failOrServe(failing, settled.grant.tokens, error, now, config, 0, notes)
  const failure = backoff(settled, error, now, config, 0)
  return finish(failing, { ...settled, failure: Option.some(failure) }, settled.grant.served, notes)
}

import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { Signer } from "./signer.js"

/**
 * One connect flow, from the start route to the callback: what the browser's flow cookie holds, signed. Each flow
 * has a cookie of its own, named by a MAC of its `state` (so a merchant may connect in two tabs at once, and a
 * callback finds its flow from the `state` it carries without the name telling anything about it).
 */
export interface Flow {
  readonly state: Redacted.Redacted<string>
  /** The checked, absolute address to send the browser to afterwards. */
  readonly returnTo: string
  readonly codeVerifier: Option.Option<Redacted.Redacted<string>>
  /** Epoch milliseconds. */
  readonly expiresAt: number
}

/** Why a flow cookie was refused. */
export type FlowProblem = "Forged" | "Expired"

const PURPOSE = "ultracart-oauth/web connect flow v1"
const ID_PURPOSE = "ultracart-oauth/web connect flow id v1"

/** A flow id is 96 bits of MAC: enough to tell flows apart and to name a cookie, nothing more. */
const ID_LENGTH = 16

const Payload = Schema.parseJson(
  Schema.Struct({
    s: Schema.String,
    r: Schema.String,
    p: Schema.optional(Schema.String),
    e: Schema.Number
  })
)
const encodePayload = Schema.encodeSync(Payload)
const decodePayload = Schema.decodeUnknownEither(Payload)

/** The flow's id, from its `state`. */
export const idOf = (signer: Signer, state: string): Effect.Effect<string> => signer.tag(ID_PURPOSE, state, ID_LENGTH)

/** The cookie value of a flow. */
export const seal = (signer: Signer, flow: Flow): Effect.Effect<string> =>
  signer.sign(
    PURPOSE,
    encodePayload({
      s: Redacted.value(flow.state),
      r: flow.returnTo,
      ...(Option.isSome(flow.codeVerifier) ? { p: Redacted.value(flow.codeVerifier.value) } : {}),
      e: flow.expiresAt
    })
  )

/**
 * The flow a cookie value holds, if this key signed it and it has not expired at `now`. Never throws, never fails:
 * every other input is a `FlowProblem`.
 */
export const open = (signer: Signer, value: string, now: number): Effect.Effect<Either.Either<Flow, FlowProblem>> =>
  Effect.map(signer.verify(PURPOSE, value), (payload): Either.Either<Flow, FlowProblem> => {
    if (Option.isNone(payload)) return Either.left("Forged")
    const decoded = decodePayload(payload.value)
    // Signed by this key yet unreadable: not something this code wrote.
    if (Either.isLeft(decoded)) return Either.left("Forged")
    const { e, p, r, s } = decoded.right
    if (!(now < e)) return Either.left("Expired")
    return Either.right({
      state: Redacted.make(s),
      returnTo: r,
      codeVerifier: p === undefined ? Option.none() : Option.some(Redacted.make(p)),
      expiresAt: e
    })
  })

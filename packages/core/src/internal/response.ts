import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { ErrorResponse } from "../Models.js"
import {
  AppDisabled,
  type Endpoint,
  fromOAuthCode,
  type HttpStatusError,
  MalformedResponse,
  type OAuthProtocolError,
  RateLimited,
  ServerError,
  Unauthorized,
  type UltraCartDetails,
  UltraCartError,
  UnexpectedRedirect
} from "../OAuthError.js"
import type * as OAuthTransport from "../OAuthTransport.js"
import * as RetryAfter from "../RetryAfter.js"
import { isErrorResponse, type OAuthErrorBody, oauthErrorOf } from "./errorShape.js"
import { lazily } from "./lazily.js"
import { scrub, scrubOptional } from "./scrub.js"

/** Turns a JSON body into the endpoint's result, or the list of problems found (paths and kinds, never values). */
export type BodyDecoder<A> = (json: unknown) => Either.Either<A, ReadonlyArray<string>>

/** Everything reading an answer can fail with. */
export type ResponseFailure = OAuthProtocolError | HttpStatusError | MalformedResponse

/** The members of a struct whose members are all `optional` (absent, or `null` read as absent). */
type NullableMembers = Record<string, Schema.optionalWith<Schema.Schema.AnyNoContext, { nullable: true }>>

/** The same members as plain optional members: what they decode as once the `null`s are removed. */
type PlainMembers<F extends NullableMembers> = { readonly [K in keyof F]: Schema.optional<F[K]["from"]> }

/** An object without its `null` members (the object itself when it has none). */
const withoutNulls = (json: unknown): unknown => {
  if (!Predicate.isRecord(json)) return json
  for (const key in json) {
    if (json[key] === null) {
      const out: Record<string, unknown> = {}
      for (const k in json) if (json[k] !== null) out[k] = json[k]
      return out
    }
  }
  return json
}

/** The codec of each member of a struct of nullable optional members. */
export type MemberCodecs<F extends NullableMembers> = { readonly [K in keyof F]: F[K]["from"] }

/**
 * A decoder from a wire schema (a struct of nullable optional members) plus a check of the decoded value, with the
 * results of decoding with the schema itself at a fraction of the cost: `null` members are removed first, and the
 * rest is decoded with plain optional members. Schema issues are reduced to path and kind: ParseResult's own
 * messages quote the offending value, which may be a token. (Effect decodes a nullable
 * member with a transformation that deletes and re-adds its property: most of a token call's decoding time.)
 * Fast path: `pnpm bench`'s allocation column shows 6 KB less per call on undici (30.5 KB instead of 36.6 KB) than
 * decoding with the nullable schema itself; CPU differs by less than the noise.
 *
 * `codecs`, when given, are the members' codecs (the compiler holds them to the schema's): the schema itself is
 * then never built, which a token call, the one most programs make first, need not pay for.
 */
export const nullableStructDecoder = <F extends NullableMembers, A>(
  schema: Schema.Struct<F>,
  build: (
    wire: Schema.Schema.Type<Schema.Struct<PlainMembers<F>>>,
    json: unknown
  ) => Either.Either<A, ReadonlyArray<string>>,
  codecs?: () => MemberCodecs<F>
): BodyDecoder<A> => {
  // Built on the first answer, not when a module defines its decoder: a program pays only for the endpoints it calls.
  const decode = lazily(() => {
    const given: Record<string, Schema.Schema.AnyNoContext> | undefined = codecs?.()
    const members: Record<string, Schema.optional<Schema.Schema.AnyNoContext>> = {}
    if (given !== undefined) for (const [key, codec] of Object.entries(given)) members[key] = Schema.optional(codec)
    else for (const key in schema.fields) members[key] = Schema.optional(schema.fields[key]!.from)
    // The loop builds `PlainMembers<F>`, one member per key of `F`, which TypeScript cannot follow through a loop.
    const plain = Schema.make<Schema.Schema.Type<Schema.Struct<PlainMembers<F>>>>(Schema.Struct(members).ast)
    return Schema.decodeUnknownEither(plain, { errors: "all", onExcessProperty: "ignore" })
  })
  return (json) => {
    const decoded = decode()(withoutNulls(json))
    return decoded._tag === "Left" ? Either.left(describeIssues(decoded.left)) : build(decoded.right, json)
  }
}

/** One line per path and kind: a union (a member that may be null, `Seconds`) reports each of its branches. */
const describeIssues = (error: ParseResult.ParseError): ReadonlyArray<string> => [
  ...new Set(
    ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
      const path = issue.path.length === 0 ? "body" : issue.path.join(".")
      return `${path}: ${issue._tag === "Missing" ? "is missing" : "has an unexpected form"}`
    })
  )
]

type Json =
  | { readonly _tag: "Empty" }
  | { readonly _tag: "Json"; readonly value: unknown }
  | { readonly _tag: "NotJson" }

/** Reads JSON whatever the content type says: UltraCart-like servers send JSON as `text/plain`. */
const parseJson = (text: string): Json => {
  if (text.trim() === "") return { _tag: "Empty" }
  try {
    return { _tag: "Json", value: JSON.parse(text) }
  } catch {
    return { _tag: "NotJson" }
  }
}

const valueOf = (json: Json): unknown => (json._tag === "Json" ? json.value : undefined)

const stringMember = (json: Json, key: string): string | undefined =>
  json._tag === "Json" && Predicate.hasProperty(json.value, key) && typeof json.value[key] === "string"
    ? json.value[key]
    : undefined

const decodeErrorResponse = lazily(() => Schema.decodeUnknownOption(ErrorResponse))

/** UltraCart's `ErrorResponse` members (or an OAuth error body's), defined ones only. */
const detailsOf = (
  json: Json,
  ucRestError: string | undefined,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): UltraCartDetails => {
  const error = json._tag === "Json" ? Option.getOrUndefined(decodeErrorResponse()(json.value))?.error : undefined
  const candidates = {
    developerMessage: error?.developer_message ?? stringMember(json, "error_description"),
    userMessage: error?.user_message,
    errorCode: error?.error_code ?? oauthErrorOf(valueOf(json))?.code,
    moreInfo: error?.more_info ?? stringMember(json, "error_uri"),
    objectId: error?.object_id,
    ucRestError
  }
  const details: { -readonly [K in keyof UltraCartDetails]: string } = {}
  for (const [key, value] of Object.entries(candidates) as Array<[keyof UltraCartDetails, string | undefined]>) {
    const clean = scrubOptional(value, secrets)
    if (clean !== undefined) details[key] = clean
  }
  return details
}

const protocolError = (
  endpoint: Endpoint,
  status: number,
  body: OAuthErrorBody,
  ucRestError: string | undefined,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): OAuthProtocolError => {
  const description = scrubOptional(body.description, secrets)
  const errorUri = scrubOptional(body.uri, secrets)
  // The code is the server's text too: an echo of a secret in it is scrubbed like the description.
  return fromOAuthCode(scrub(body.code, secrets), {
    endpoint,
    status,
    ...(description !== undefined ? { description } : {}),
    ...(errorUri !== undefined ? { errorUri } : {}),
    ...(ucRestError !== undefined ? { ucRestError } : {})
  })
}

/**
 * Reads an endpoint's answer into its result or a typed error.
 *
 * - An answer from another URL than the one requested (a redirect followed below the client), a 3xx, or status 0
 *   (how a browser's fetch reports a redirect it was told not to follow): `UnexpectedRedirect`, never followed.
 * - A body with an OAuth error code is a protocol error whatever the status (some servers send them with 200),
 *   except on 410, 429 and 5xx, which keep their status meaning (so a retry policy sees them). The code may come in
 *   any shape `oauthErrorOf` reads.
 * - A 2xx body in UltraCart's `ErrorResponse` shape (an `error` object) is `UltraCartError`: read leniently, it would
 *   pass for a successful revocation.
 * - 401 / 410 / 429 / 5xx / other 4xx: the status errors, with UltraCart's `ErrorResponse` details.
 * - A 2xx body that is not JSON, or does not decode: `MalformedResponse`.
 */
export const fromAnswer = <A>(
  endpoint: Endpoint,
  answer: OAuthTransport.Answer,
  decode: BodyDecoder<A>,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): Effect.Effect<A, ResponseFailure> => {
  const status = answer.status
  if (answer.redirected) return Effect.fail(new UnexpectedRedirect({ endpoint, status, followed: true }))
  if (status === 0 || (status >= 300 && status < 400)) return Effect.fail(new UnexpectedRedirect({ endpoint, status }))
  const json = parseJson(answer.body)
  const oauthError = oauthErrorOf(valueOf(json))
  const ok = status >= 200 && status < 300
  if (ok && oauthError === undefined && json._tag !== "NotJson" && !isErrorResponse(valueOf(json))) {
    // The success path reads no header: the headers below only describe failures.
    const decoded = decode(json._tag === "Json" ? json.value : {})
    return decoded._tag === "Right"
      ? Effect.succeed(decoded.right)
      : Effect.fail(malformed(endpoint, answer, secrets, "Schema", decoded.left))
  }
  const ucRestError = scrubOptional(answer.headers["uc-rest-error"], secrets)
  if (oauthError !== undefined && status !== 410 && status !== 429 && status < 500) {
    return Effect.fail(protocolError(endpoint, status, oauthError, ucRestError, secrets))
  }
  if (ok && json._tag === "NotJson") {
    return Effect.fail(malformed(endpoint, answer, secrets, "NotJson", ["body: is not JSON"]))
  }
  return statusError(answer, secrets, { endpoint, status, ...detailsOf(json, ucRestError, secrets) })
}

/** The error an answer's status stands for, with UltraCart's details. */
const statusError = (
  answer: OAuthTransport.Answer,
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  fields: { readonly endpoint: Endpoint; readonly status: number } & UltraCartDetails
): Effect.Effect<never, HttpStatusError | MalformedResponse> => {
  const status = fields.status
  switch (true) {
    case status >= 200 && status < 300:
      return Effect.fail(new UltraCartError(fields))
    case status === 401:
      return Effect.fail(new Unauthorized(fields))
    case status === 410:
      return Effect.fail(new AppDisabled(fields))
    case status === 429 || status >= 500:
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const retryAfterMillis = RetryAfter.parseMillis(answer.headers["retry-after"], now)
        const withRetry = retryAfterMillis === undefined ? fields : { ...fields, retryAfterMillis }
        return Effect.fail(status === 429 ? new RateLimited(withRetry) : new ServerError(withRetry))
      })
    case status >= 400:
      return Effect.fail(new UltraCartError(fields))
    default:
      return Effect.fail(malformed(fields.endpoint, answer, secrets, "UnexpectedStatus", []))
  }
}

const malformed = (
  endpoint: Endpoint,
  answer: OAuthTransport.Answer,
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  reason: MalformedResponse["reason"],
  issues: ReadonlyArray<string>
): MalformedResponse => {
  const contentType = scrubOptional(answer.headers["content-type"], secrets)
  const ucRestError = scrubOptional(answer.headers["uc-rest-error"], secrets)
  return new MalformedResponse({
    endpoint,
    status: answer.status,
    reason,
    issues,
    ...(contentType !== undefined ? { contentType } : {}),
    ...(ucRestError !== undefined ? { ucRestError } : {})
  })
}

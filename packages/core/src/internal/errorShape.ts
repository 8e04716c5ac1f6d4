/**
 * Where an answer's OAuth error code is: UltraCart's servers and the RFC disagree on the shape, and the client must
 * read every one of them (a dead grant must be `InvalidGrant` whichever shape says so). Total: no input throws.
 */
import * as Predicate from "effect/Predicate"
import { knownOAuthCodes } from "../OAuthError.js"

/** An OAuth error as a body carries it. */
export interface OAuthErrorBody {
  readonly code: string
  readonly description: string | undefined
  readonly uri: string | undefined
}

const knownCodes: ReadonlySet<string> = new Set(knownOAuthCodes)

/** A known OAuth code named as a word in a text ("invalid_grant: the refresh token has expired"). */
const namedCode = new RegExp(`(?<![\\w])(${knownOAuthCodes.join("|")})(?![\\w])`)

const stringAt = (record: Readonly<Record<string, unknown>>, key: string): string | undefined => {
  const value = record[key]
  return typeof value === "string" ? value : undefined
}

/** The first known OAuth code named in one of the texts. */
const codeNamedIn = (...texts: ReadonlyArray<string | undefined>): string | undefined => {
  for (const text of texts) {
    const found = text === undefined ? null : namedCode.exec(text)
    if (found !== null) return found[1]
  }
  return undefined
}

/**
 * UltraCart's `ErrorResponse` (`error` an object): its `error_code` when that is a known OAuth code; otherwise
 * (UltraCart documents `error_code` as the HTTP status, e.g. `"400"`) a known code named in `developer_message` or
 * `user_message`.
 */
const fromErrorResponse = (error: Readonly<Record<string, unknown>>): OAuthErrorBody | undefined => {
  const developerMessage = stringAt(error, "developer_message")
  const userMessage = stringAt(error, "user_message")
  const errorCode = stringAt(error, "error_code")
  const code =
    errorCode !== undefined && knownCodes.has(errorCode) ? errorCode : codeNamedIn(developerMessage, userMessage)
  if (code === undefined) return undefined
  return { code, description: developerMessage ?? userMessage, uri: stringAt(error, "more_info") }
}

/**
 * The OAuth error a parsed JSON body carries, wherever it carries it:
 * - RFC 6749 §5.2: `error` is the code (any code: unknown ones are kept), with `error_description`, `error_uri`;
 * - UltraCart's `ErrorResponse`: `error.error_code` when it is a known OAuth code;
 * - UltraCart's `ErrorResponse` whose `error_code` is the HTTP status: a known OAuth code named as a word in
 *   `error.developer_message` or `error.user_message`.
 *
 * `undefined` when the body names no OAuth code: the answer then keeps its HTTP meaning (a 4xx is
 * `UltraCartError`, see `OAuthError.isRefusal`).
 */
export const oauthErrorOf = (json: unknown): OAuthErrorBody | undefined => {
  if (!Predicate.isRecord(json)) return undefined
  const error = json["error"]
  if (typeof error === "string") {
    return { code: error, description: stringAt(json, "error_description"), uri: stringAt(json, "error_uri") }
  }
  return Predicate.isRecord(error) ? fromErrorResponse(error) : undefined
}

/** UltraCart's `ErrorResponse`: an `error` member that is an object (an OAuth error's is a string). */
export const isErrorResponse = (json: unknown): boolean => Predicate.isRecord(json) && Predicate.isRecord(json["error"])

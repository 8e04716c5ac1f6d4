/**
 * PKCE (RFC 7636), S256 only. UltraCart does not document PKCE; this is here for servers that support it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { base64Url, randomBase64Url } from "./internal/random.js"

/**
 * A code verifier (secret) and its S256 challenge.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pkce {
  readonly verifier: Redacted.Redacted<string>
  readonly challenge: string
  readonly method: "S256"
}

/**
 * The S256 challenge of a verifier: BASE64URL(SHA-256(verifier)), no padding.
 *
 * @since 0.1.0
 * @category constructors
 */
export const challengeOf = (verifier: Redacted.Redacted<string>): Effect.Effect<string> =>
  Effect.promise(() =>
    globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(Redacted.value(verifier)))
  ).pipe(Effect.map((digest) => base64Url(new Uint8Array(digest))))

/**
 * A fresh verifier of 32 CSPRNG bytes (43 characters) and its challenge. There is no `plain` method.
 *
 * @example
 * ```ts
 * import * as Pkce from "@ultracart-oauth/core/Pkce"
 * import * as Effect from "effect/Effect"
 * import * as Redacted from "effect/Redacted"
 *
 * const pkce = await Effect.runPromise(Pkce.make)
 * // The challenge goes on the authorize URL; the verifier, a secret, with the code exchange.
 * assert.strictEqual(pkce.method, "S256")
 * assert.strictEqual(await Effect.runPromise(Pkce.challengeOf(pkce.verifier)), pkce.challenge)
 * assert.strictEqual(Redacted.value(pkce.verifier).length, 43)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Pkce> = Effect.suspend(() => {
  const verifier = Redacted.make(randomBase64Url(32))
  return Effect.map(challengeOf(verifier), (challenge) => ({ verifier, challenge, method: "S256" as const }))
})

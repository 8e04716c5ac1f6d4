/**
 * Encryption at rest for stored tokens: AES-256-GCM through Web Crypto, so it runs on Node, Deno, Bun, workers
 * and browsers alike.
 *
 * @since 0.1.0
 */
import * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/**
 * The algorithm name written next to encrypted records.
 *
 * @since 0.1.0
 * @category constants
 */
export const ALGORITHM = "A256GCM"

/**
 * What sealing produced: a fresh 96-bit nonce and the ciphertext with its 128-bit tag.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sealed {
  readonly iv: Uint8Array<ArrayBuffer>
  readonly ciphertext: Uint8Array<ArrayBuffer>
}

/**
 * Seals and opens records with one key. `associatedData` is authenticated but not encrypted: the store binds
 * each record to its grant key and version with it, so a record cannot be moved to another grant or replayed
 * as another version unnoticed.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenCipher {
  readonly algorithm: typeof ALGORITHM
  readonly seal: (plaintext: Uint8Array<ArrayBuffer>, associatedData: Uint8Array<ArrayBuffer>) => Effect.Effect<Sealed>
  /** `None` when the key is wrong or the record was altered (GCM's tag does not verify). */
  readonly open: (
    sealed: Sealed,
    associatedData: Uint8Array<ArrayBuffer>
  ) => Effect.Effect<Option.Option<Uint8Array<ArrayBuffer>>>
}

const decodeKey = (text: string): Either.Either<Uint8Array, unknown> =>
  Either.orElse(Encoding.decodeBase64(text), () => Encoding.decodeBase64Url(text))

/**
 * Makes a cipher from a key given as 32 bytes in base64 or base64url (`openssl rand -base64 32`). A passphrase
 * is refused rather than stretched: the key must already have 256 bits of entropy.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (key: Redacted.Redacted<string>): Effect.Effect<TokenCipher, OAuthError.InvalidInput> =>
  Effect.gen(function* () {
    const raw = decodeKey(Redacted.value(key).trim())
    if (Either.isLeft(raw) || raw.right.length !== 32) {
      return yield* new OAuthError.InvalidInput({
        field: "encryptionKey",
        reason: "must be 32 random bytes in base64 or base64url"
      })
    }
    const cryptoKey = yield* Effect.promise(() =>
      globalThis.crypto.subtle.importKey("raw", new Uint8Array(raw.right), "AES-GCM", false, ["encrypt", "decrypt"])
    )
    raw.right.fill(0)
    const cipher: TokenCipher = {
      algorithm: ALGORITHM,
      seal: (plaintext, associatedData) =>
        Effect.promise(async () => {
          const iv = globalThis.crypto.getRandomValues(new Uint8Array(12))
          const ciphertext = await globalThis.crypto.subtle.encrypt(
            { name: "AES-GCM", iv, additionalData: associatedData },
            cryptoKey,
            plaintext
          )
          return { iv, ciphertext: new Uint8Array(ciphertext) }
        }),
      open: (sealed, associatedData) =>
        Effect.promise(() =>
          globalThis.crypto.subtle
            .decrypt({ name: "AES-GCM", iv: sealed.iv, additionalData: associatedData }, cryptoKey, sealed.ciphertext)
            .then(
              (plain) => Option.some(new Uint8Array(plain)),
              () => Option.none()
            )
        )
    }
    return cipher
  })

/**
 * Why a stored record could not be opened: `Corrupt` (its iv or ciphertext is not base64) or `Decrypt` (no key
 * is configured, or the key is wrong, or the record was altered).
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenFailure {
  readonly reason: "Corrupt" | "Decrypt"
  readonly detail: string
}

/**
 * Opens a record as stores keep it (iv and ciphertext in base64) into its UTF-8 plaintext — the one way the file
 * and Redis stores read an encrypted record.
 *
 * @since 0.1.0
 * @category combinators
 */
export const openStored = (
  cipher: Option.Option<TokenCipher>,
  stored: { readonly iv: string; readonly ciphertext: string },
  associatedData: Uint8Array<ArrayBuffer>
): Effect.Effect<Either.Either<string, OpenFailure>> => {
  if (Option.isNone(cipher)) {
    return Effect.succeed(
      Either.left({ reason: "Decrypt", detail: "the record is encrypted and no encryption key is configured" })
    )
  }
  const iv = Encoding.decodeBase64(stored.iv)
  const ciphertext = Encoding.decodeBase64(stored.ciphertext)
  if (iv._tag === "Left" || ciphertext._tag === "Left") {
    return Effect.succeed(Either.left({ reason: "Corrupt", detail: "iv or ciphertext is not base64" }))
  }
  return Effect.map(
    cipher.value.open({ iv: new Uint8Array(iv.right), ciphertext: new Uint8Array(ciphertext.right) }, associatedData),
    Option.match({
      onNone: (): Either.Either<string, OpenFailure> =>
        Either.left({ reason: "Decrypt", detail: "the record does not decrypt with this key (wrong key or altered)" }),
      onSome: (plain) => Either.right(new TextDecoder().decode(plain))
    })
  )
}

/**
 * A new random key in base64, for `ULTRACART_TOKEN_ENCRYPTION_KEY` or `FileTokenStore`'s `encryptionKey`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateKey: Effect.Effect<Redacted.Redacted<string>> = Effect.sync(() =>
  Redacted.make(Encoding.encodeBase64(globalThis.crypto.getRandomValues(new Uint8Array(32))))
)

import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/**
 * HMAC-SHA-256 through Web Crypto: signed values for cookies (`payload.mac`, both base64url) and short tags (a
 * CSRF token, a flow's id). Every input has a purpose, so a value signed for one use is refused for another.
 * Verifying never throws and never fails: anything that is not a value this key signed is `None`.
 */

/** Base64url without padding (RFC 4648 §5). */
export const base64Url = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

/** The bytes of base64url text as `base64Url` writes it; `undefined` for anything else (never throws). */
export const fromBase64Url = (text: string): Uint8Array<ArrayBuffer> | undefined => {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  // One text per value: a last character that differs only in its unused bits is refused, not read the same.
  return base64Url(bytes) === text ? bytes : undefined
}

/** `n` CSPRNG bytes as base64url. */
export const randomBase64Url = (n: number): string => base64Url(globalThis.crypto.getRandomValues(new Uint8Array(n)))

const encoder = new TextEncoder()
/** Refuses bytes that are not UTF-8 instead of guessing. */
const decoder = new TextDecoder("utf-8", { fatal: true })

/** The longest signed value read (a cookie is at most 4 KB anyway). */
const MAX_SIGNED_LENGTH = 4096
/** HMAC-SHA-256 is 32 bytes: 43 base64url characters. */
const MAC_LENGTH = 43

export interface Signer {
  /** `base64url(payload).base64url(mac)`, the MAC over the purpose and the payload. */
  readonly sign: (purpose: string, payload: string) => Effect.Effect<string>
  /** The payload of a value this key signed for this purpose; `None` for anything else. */
  readonly verify: (purpose: string, value: string) => Effect.Effect<Option.Option<string>>
  /** A MAC of the purpose and the data, base64url, cut to `length` characters (at most 43). */
  readonly tag: (purpose: string, data: string, length?: number) => Effect.Effect<string>
}

/** The key's shortest acceptable length, in characters (256 bits of base64url or hex is 43 or 64). */
export const MIN_SECRET_LENGTH = 32

/** Imports the secret as an HMAC-SHA-256 key (not extractable). */
export const makeSigner = (secret: Redacted.Redacted<string>): Effect.Effect<Signer> =>
  Effect.map(
    Effect.promise(() =>
      globalThis.crypto.subtle.importKey(
        "raw",
        encoder.encode(Redacted.value(secret)),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign", "verify"]
      )
    ),
    (key): Signer => {
      // The purpose and the data, unambiguously: the purpose never holds a newline.
      const input = (purpose: string, data: string) => encoder.encode(`${purpose}\n${data}`)
      const mac = (purpose: string, data: string) =>
        Effect.map(
          Effect.promise(() => globalThis.crypto.subtle.sign("HMAC", key, input(purpose, data))),
          (bytes) => base64Url(new Uint8Array(bytes))
        )
      return {
        sign: (purpose, payload) => {
          const encoded = base64Url(encoder.encode(payload))
          return Effect.map(mac(purpose, encoded), (signature) => `${encoded}.${signature}`)
        },
        verify: (purpose, value) =>
          Effect.suspend(() => {
            if (value.length > MAX_SIGNED_LENGTH) return Effect.succeedNone
            const dot = value.indexOf(".")
            const encoded = value.slice(0, dot)
            const signature = fromBase64Url(value.slice(dot + 1))
            const payload = fromBase64Url(encoded)
            if (dot < 0 || payload === undefined || signature === undefined || value.length - dot - 1 !== MAC_LENGTH) {
              return Effect.succeedNone
            }
            // Web Crypto compares the MAC in constant time.
            return Effect.map(
              Effect.promise(() => globalThis.crypto.subtle.verify("HMAC", key, signature, input(purpose, encoded))),
              (valid) => (valid ? decodeUtf8(payload) : Option.none())
            )
          }),
        tag: (purpose, data, length = MAC_LENGTH) => Effect.map(mac(purpose, data), (tag) => tag.slice(0, length))
      }
    }
  )

const decodeUtf8 = (bytes: Uint8Array): Option.Option<string> => {
  try {
    return Option.some(decoder.decode(bytes))
  } catch {
    return Option.none()
  }
}

/** Whether two strings are equal, in time that depends only on their lengths (for tokens a request carries). */
export const sameText = (a: string, b: string): boolean => {
  let diff = a.length ^ b.length
  const n = Math.max(a.length, b.length)
  // Past the end of the shorter string charCodeAt gives NaN, which `^` reads as 0; the lengths already differ.
  for (let i = 0; i < n; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

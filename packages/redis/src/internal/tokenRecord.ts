/**
 * How a grant's tokens are laid out in Redis: one hash per grant (`version`, `format`, `encryption`, `iv`,
 * `data`), or a tombstone (`cleared`) left by a logout, and the scripts that change it atomically.
 */
import type * as TokenEncryption from "@ultracart-oauth/adapters/TokenEncryption"
import * as TokenRecord from "@ultracart-oauth/adapters/TokenRecord"
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import { script } from "../RedisConnection.js"

type TokenSet = Store.TokenSet
type TokenSetInput = Store.TokenSetInput
type Operation = Store.TokenStoreError["operation"]

/** The fields read back, in this order, by a read and by a conflicting write (then the key's PTTL). */
export const FIELDS = ["version", "format", "encryption", "iv", "data", "cleared"] as const

/** Answers the fields (`FIELDS` order) and then the key's PTTL in ms (-1: no TTL; -2: no key). */
const FIELDS_AND_TTL = `local fields = redis.call('HMGET', KEYS[1], '${FIELDS.join("', '")}')
fields[#fields + 1] = redis.call('PTTL', KEYS[1])
return fields`

/** Reads a grant: its fields and how long it still lives. */
export const READ = script("token-read", FIELDS_AND_TTL)

const SET_FIELDS = `'format', ARGV[2], 'encryption', ARGV[3], 'iv', ARGV[4], 'data', ARGV[5])
if tonumber(ARGV[6]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end`

/**
 * Compare-and-set. `ARGV`: expected version (a tombstone or no record counts as 0), format, encryption, iv,
 * data, TTL in ms (0: none). Answers the new version, or the current fields and PTTL when the version did not
 * match.
 */
export const WRITE = script(
  "token-write",
  `local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then
  ${FIELDS_AND_TTL}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', current + 1, ${SET_FIELDS}
return current + 1`
)

/** Puts a record back at its own version (`ARGV[1]`), only where there is nothing at all (not even a tombstone). */
export const RESTORE = script(
  "token-restore",
  `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], ${SET_FIELDS}
return 1`
)

/** Replaces the record by a tombstone (`ARGV[1]`: its TTL in ms), so that a logout is told apart from lost data. */
export const CLEAR = script(
  "token-clear",
  `redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'cleared', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`
)

/**
 * Whether a listing names the grant: 1 when `load` would not answer "no tokens" — a record (decodable or not) or
 * a key of another type (which `load` reports as an error) — and 0 for a tombstone or nothing. It never decodes.
 */
export const LISTED = script(
  "token-listed",
  `local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return 0 end
if kind ~= 'hash' then return 1 end
return redis.call('HEXISTS', KEYS[1], 'version')`
)

/**
 * What Redis holds for a grant: a record, a logout's tombstone, or nothing at all (never stored — or lost).
 */
export type Stored =
  | { readonly _tag: "Record"; readonly tokens: TokenSet }
  | { readonly _tag: "Cleared" }
  | { readonly _tag: "Missing" }

const MISSING: Stored = { _tag: "Missing" }
const CLEARED: Stored = { _tag: "Cleared" }

/**
 * Reads and writes records, sealed with `cipher` when there is one (and then only sealed ones are accepted): the
 * fields of adapters' `TokenRecord.makeFields`, the ones the SQL store keeps in columns, here in a hash.
 */
export const codec = (cipher: Option.Option<TokenEncryption.TokenCipher>) => {
  const fields = TokenRecord.makeFields(cipher)
  const fail = (operation: Operation, key: string, reason: Store.TokenStoreError["reason"], detail: string) =>
    new Store.TokenStoreError({ operation, key, reason, detail })

  /** The fields (`FIELDS` order) as Redis answered them; `null` for an absent one. */
  const decode = (
    operation: Operation,
    key: string,
    answered: ReadonlyArray<unknown>
  ): Effect.Effect<Stored, Store.TokenStoreError> => {
    const [version, format, encryption, iv, data, cleared] = answered.map((f) =>
      typeof f === "string" ? f : undefined
    )
    if (version === undefined) return Effect.succeed(cleared === undefined ? MISSING : CLEARED)
    return Effect.map(
      fields.decode(operation, key, { version, format, encryption, iv, data }),
      (tokens): Stored => ({ _tag: "Record", tokens })
    )
  }

  /** `[format, encryption, iv, data]` for a record stored as `version`. */
  const encode = (key: string, version: number, tokens: TokenSetInput): Effect.Effect<ReadonlyArray<string>> =>
    Effect.map(fields.encode(key, version, tokens), (f) => [f.format, f.encryption, f.iv, f.data])

  return { decode, encode, fail }
}

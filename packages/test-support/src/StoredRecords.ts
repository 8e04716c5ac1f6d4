/**
 * A token record as the stores keep it, written out literally: the plain and sealed forms both stores' tests write
 * and read back, so the stored format cannot drift. The sealed record was sealed under `KEY` for grant `shop:7` at
 * version 3.
 */
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

export const FORMAT = "ultracart-oauth/token-set@1"
export const KEY = Redacted.make("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")

export const tokens = {
  accessToken: Redacted.make("access-stored"),
  refreshToken: Option.some(Redacted.make("refresh-stored")),
  expiresAt: DateTime.unsafeMake("2030-01-02T03:04:05.000Z"),
  issuedAt: DateTime.unsafeMake("2030-01-02T02:04:05.000Z"),
  scope: Option.some("simple_key")
}
export const bare = { ...tokens, refreshToken: Option.none(), scope: Option.none() }

export const PLAIN_DATA =
  '{"accessToken":"access-stored","refreshToken":"refresh-stored","expiresAt":"2030-01-02T03:04:05.000Z","issuedAt":"2030-01-02T02:04:05.000Z","scope":"simple_key"}'
export const BARE_DATA =
  '{"accessToken":"access-stored","refreshToken":null,"expiresAt":"2030-01-02T03:04:05.000Z","issuedAt":"2030-01-02T02:04:05.000Z","scope":null}'
export const SEALED = {
  version: "3",
  format: FORMAT,
  encryption: "A256GCM",
  iv: "n209Ta1zCk+qHbzC",
  data: "TDwPPV1v89BfIE3DGUBQjTFgLf03FC1Iwm7TYs1lrAJElKvaH5FgELRZp+jhkV7Kqra6U/nQQIIml7SIbGB6K+fXhLDcYUs8IGoV1Je9668wj4VpKswztQdN76Ln2sP5aZl78PieustJN8dvh1v7ki4ExUJDxqDptMe5Q1qhX3duHXGN/a9JRZKlNgPBCXw4cGaolJaJyAbtRj0cM7zS2XowyCRrdkn2E9uJVyMcXQ1s"
}

/** A token set with its secrets in the clear, to compare. */
export const reveal = (t: {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Option.Option<Redacted.Redacted<string>>
  readonly expiresAt: DateTime.Utc
  readonly issuedAt: DateTime.Utc
  readonly scope: Option.Option<string>
}) => ({
  accessToken: Redacted.value(t.accessToken),
  refreshToken: Option.getOrNull(Option.map(t.refreshToken, Redacted.value)),
  expiresAt: DateTime.formatIso(t.expiresAt),
  issuedAt: DateTime.formatIso(t.issuedAt),
  scope: Option.getOrNull(t.scope)
})

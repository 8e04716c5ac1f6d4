import * as Redacted from "effect/Redacted"

/** The forms a secret may come back in: as sent, and form- or percent-encoded (a server echoing the raw body). */
const formsOf = (value: string): ReadonlyArray<string> => [
  value,
  encodeURIComponent(value),
  new URLSearchParams([["", value]]).toString().slice(1)
]

/**
 * Removes every known secret of a call from a text that came from elsewhere (a server's error description, a
 * transport error's message), so that an echo of a token can never reach an error message or a log. Longer forms
 * go first, so that a secret containing another is removed whole.
 */
export const scrub = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string => {
  if (text === "" || secrets.length === 0) return text
  const forms = [...new Set(secrets.flatMap((secret) => formsOf(Redacted.value(secret))))]
    .filter((form) => form.length > 0)
    .sort((a, b) => b.length - a.length)
  let out = text
  for (const form of forms) {
    if (out.includes(form)) out = out.split(form).join("<redacted>")
  }
  return out
}

/** `scrub` for an optional text. */
export const scrubOptional = (
  text: string | undefined,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): string | undefined => (text === undefined ? undefined : scrub(text, secrets))

import { Redacted } from "effect"

/**
 * Removes every known secret of a call from a text that came from elsewhere (a server's error description, a
 * transport error's message), so that an echo of a token can never reach an error message or a log.
 */
export const scrub = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string => {
  let out = text
  for (const secret of secrets) {
    const value = Redacted.value(secret)
    if (value.length > 0 && out.includes(value)) out = out.split(value).join("<redacted>")
  }
  return out
}

/** `scrub` for an optional text. */
export const scrubOptional = (
  text: string | undefined,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): string | undefined => (text === undefined ? undefined : scrub(text, secrets))

const base64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
// RFC 8628 §6.1: a user code from consonants only, so it spells no words and survives being read aloud.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

/** A random opaque secret with a readable prefix (`uc_at_…`), 6 bits of CSPRNG entropy per character. */
export const randomToken = (prefix: string, length = 32): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let out = prefix
  for (let i = 0; i < length; i++) out += base64Url[(bytes[i] ?? 0) & 63]
  return out
}

/** An RFC 8628 user code such as `BCDF-GHJK`. */
export const randomUserCode = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  let out = ""
  for (let i = 0; i < 8; i++) {
    if (i === 4) out += "-"
    out += userCodeAlphabet[(bytes[i] ?? 0) % userCodeAlphabet.length]
  }
  return out
}

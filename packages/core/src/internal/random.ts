/** `n` bytes from the platform's CSPRNG (Web Crypto), base64url without padding. */
export const randomBase64Url = (bytes: number): string =>
  base64Url(globalThis.crypto.getRandomValues(new Uint8Array(bytes)))

/** Base64url without padding (RFC 4648 §5). */
export const base64Url = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

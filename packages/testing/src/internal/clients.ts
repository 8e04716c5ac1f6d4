import * as Redacted from "effect/Redacted"
import type { ClientRegistration } from "./model.js"

/** A registered app. */
export interface ClientState {
  readonly clientId: string
  readonly redirectUris: ReadonlySet<string>
  /** Registered loopback redirect URIs without their port, when any port is accepted (RFC 8252 §7.3). */
  readonly loopbackRedirectUris: ReadonlySet<string> | undefined
  readonly simpleKey: string | undefined
  readonly browserKey: string | undefined
  readonly permissions: ReadonlyArray<string>
  readonly deviceScopes: ReadonlySet<string> | undefined
}

export const secretText = (value: string | Redacted.Redacted<string>): string =>
  Redacted.isRedacted(value) ? Redacted.value(value) : value

const loopbackHosts = new Set(["127.0.0.1", "[::1]", "localhost"])

/** A loopback http URI with its port removed, or undefined for any other URI. */
const withoutLoopbackPort = (uri: string): string | undefined => {
  try {
    const url = new URL(uri)
    if (url.protocol !== "http:" || !loopbackHosts.has(url.hostname)) return undefined
    url.port = ""
    return url.toString()
  } catch {
    return undefined
  }
}

/** Whether a redirect URI is registered for the app (exactly, or on loopback with any port when allowed). */
export const isRegisteredRedirect = (client: ClientState, uri: string): boolean => {
  if (client.redirectUris.has(uri)) return true
  if (client.loopbackRedirectUris === undefined) return false
  const portless = withoutLoopbackPort(uri)
  return portless !== undefined && client.loopbackRedirectUris.has(portless)
}

export const toClientState = (c: ClientRegistration): ClientState => ({
  clientId: c.clientId,
  redirectUris: new Set(c.redirectUris),
  loopbackRedirectUris:
    c.loopbackAnyPort === true ? new Set(c.redirectUris.flatMap((uri) => withoutLoopbackPort(uri) ?? [])) : undefined,
  simpleKey: c.simpleKey === undefined ? undefined : secretText(c.simpleKey),
  browserKey: c.browserKey === undefined ? undefined : secretText(c.browserKey),
  permissions: c.permissions ?? [],
  deviceScopes: c.deviceScopes === undefined ? undefined : new Set(c.deviceScopes)
})

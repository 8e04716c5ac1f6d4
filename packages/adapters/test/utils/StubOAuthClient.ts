/**
 * An `OAuthClient` service for tests that script only the methods they use: every other method dies with
 * `message`, so a test that reaches one by mistake fails loudly instead of hanging or passing.
 */
import type { OAuthClient } from "@ultracart-oauth/core"
import { Effect } from "effect"

export const stubOAuthClient = (
  scripted: Partial<OAuthClient.OAuthClient.Service>,
  message = "not scripted"
): OAuthClient.OAuthClient.Service => {
  const unused = Effect.dieMessage(message)
  return {
    clientId: "stub-client",
    baseUrl: "http://127.0.0.1:1",
    authorizationUrl: () => unused,
    parseCallback: () => unused,
    exchangeCode: () => unused,
    exchangeDeviceCode: () => unused,
    token: () => unused,
    authorizeDevice: () => unused,
    me: () => unused,
    refresh: () => unused,
    revoke: () => unused,
    ...scripted
  }
}

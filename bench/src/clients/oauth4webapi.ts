/** oauth4webapi (over the global `fetch`), a public client (UltraCart has no client secret). */
import * as oauth from "oauth4webapi"
import { API_VERSION, CLIENT_ID, CODE, REDIRECT_URI } from "../fixtures.js"
import { type BenchClient, fail, promiseRunner } from "./shared.js"

export const make = (base: string): BenchClient => {
  const as: oauth.AuthorizationServer = { issuer: base, token_endpoint: `${base}/oauth/token` }
  const client: oauth.Client = { client_id: CLIENT_ID }
  const auth = oauth.None()
  const options = {
    [oauth.allowInsecureRequests]: true,
    headers: { "x-ultracart-api-version": API_VERSION }
  }
  const call = async () => {
    const params = oauth.validateAuthResponse(as, client, new URLSearchParams({ code: CODE }), oauth.expectNoState)
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      REDIRECT_URI,
      oauth.nopkce,
      options
    )
    const result = await oauth.processAuthorizationCodeResponse(as, client, response)
    if (typeof result.access_token !== "string") fail("oauth4webapi")
    return result
  }
  return { run: promiseRunner(call), close: async () => {} }
}

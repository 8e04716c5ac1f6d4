/** The minimal program with oauth4webapi: exchange one code (a public client: UltraCart has no client secret). */
import * as oauth from "oauth4webapi"

export const run = async (baseUrl: string): Promise<string> => {
  const as: oauth.AuthorizationServer = { issuer: baseUrl, token_endpoint: `${baseUrl}/oauth/token` }
  const client: oauth.Client = { client_id: "bench-client" }
  const params = oauth.validateAuthResponse(as, client, new URLSearchParams({ code: "c0de-1" }), oauth.expectNoState)
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    "https://app.example.com/oauth/callback",
    oauth.nopkce,
    { [oauth.allowInsecureRequests]: true }
  )
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response)
  return tokens.token_type
}

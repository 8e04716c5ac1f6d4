/** simple-oauth2 (@hapi/wreck over `node:http`), given keep-alive agents like every other client. */
import * as Http from "node:http"
import * as Https from "node:https"
// simple-oauth2 ships CommonJS without types.
// @ts-expect-error no declaration file
import { AuthorizationCode } from "simple-oauth2"
import { API_VERSION, CLIENT_ID, CODE, REDIRECT_URI } from "../fixtures.js"
import { type BenchClient, fail, promiseRunner } from "./shared.js"

export const make = (base: string): BenchClient => {
  const agents = {
    http: new Http.Agent({ keepAlive: true, scheduling: "lifo" }),
    https: new Https.Agent({ keepAlive: true }),
    httpsAllowUnauthorized: new Https.Agent({ keepAlive: true, rejectUnauthorized: false })
  }
  const client = new AuthorizationCode({
    client: { id: CLIENT_ID, secret: "" },
    auth: { tokenHost: base, tokenPath: "/oauth/token" },
    options: { authorizationMethod: "body" },
    http: { agents, headers: { accept: "application/json", "x-ultracart-api-version": API_VERSION } }
  })
  const call = async () => {
    const token = (await client.getToken({ code: CODE, redirect_uri: REDIRECT_URI })) as {
      token: { access_token?: unknown }
    }
    if (typeof token.token.access_token !== "string") fail("simple-oauth2")
    return token
  }
  return {
    run: promiseRunner(call),
    close: async () => {
      agents.http.destroy()
      agents.https.destroy()
      agents.httpsAllowUnauthorized.destroy()
    }
  }
}

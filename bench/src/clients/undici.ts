/** The undici floor: undici's `request` by hand, on a keep-alive `Agent` of its own. */
import { Agent, request } from "undici"
import { type BenchClient, checkToken, formBody, promiseRunner, tokenHeaders } from "./shared.js"

export const make = (base: string): BenchClient => {
  const url = `${base}/oauth/token`
  const dispatcher = new Agent()
  const call = async () => {
    const response = await request(url, { dispatcher, method: "POST", headers: tokenHeaders, body: formBody() })
    const json = (await response.body.json()) as { access_token?: unknown }
    checkToken("undici", response.statusCode, json)
    return json
  }
  return { run: promiseRunner(call), close: () => dispatcher.close() }
}

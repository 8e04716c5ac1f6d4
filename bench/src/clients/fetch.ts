/** The fetch floor: `fetch` by hand. */
import { type BenchClient, checkToken, formBody, promiseRunner, tokenHeaders } from "./shared.js"

export const make = (base: string): BenchClient => {
  const url = `${base}/oauth/token`
  const call = async () => {
    const response = await fetch(url, { method: "POST", redirect: "manual", headers: tokenHeaders, body: formBody() })
    const json = (await response.json()) as { access_token?: unknown }
    checkToken("fetch", response.status, json)
    return json
  }
  return { run: promiseRunner(call), close: async () => {} }
}

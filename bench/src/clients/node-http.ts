/** The floor: a hand-written `node:http` keep-alive client. */
import * as Http from "node:http"
import { type BenchClient, checkToken, formBody, promiseRunner, tokenHeaders } from "./shared.js"

export const make = (base: string): BenchClient => {
  const url = new URL(`${base}/oauth/token`)
  const agent = new Http.Agent({ keepAlive: true, scheduling: "lifo" })
  const call = () =>
    new Promise<unknown>((resolve, reject) => {
      const body = formBody()
      const request = Http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { ...tokenHeaders, "content-length": Buffer.byteLength(body) }
        },
        (response) => {
          let text = ""
          response.setEncoding("utf8")
          response.on("data", (chunk: string) => {
            text += chunk
          })
          response.on("end", () => {
            try {
              const json = JSON.parse(text) as { access_token?: unknown }
              checkToken("node:http", response.statusCode ?? 0, json)
              resolve(json)
            } catch (error) {
              reject(error)
            }
          })
          response.on("error", reject)
        }
      )
      request.on("error", reject)
      request.end(body)
    })
  return { run: promiseRunner(call), close: async () => agent.destroy() }
}

/** The API call's floor: undici's `request` by hand, on a keep-alive `Agent` of its own. */
import { Agent, request } from "undici"
import { ACCESS_TOKEN, API_PATH, API_VERSION } from "../fixtures.js"
import { checkOrder } from "./api.js"
import { type BenchClient, promiseRunner } from "./shared.js"

export const make = (base: string): BenchClient => {
  const url = `${base}${API_PATH}`
  const dispatcher = new Agent()
  const headers = {
    accept: "application/json",
    authorization: `Bearer ${ACCESS_TOKEN}`,
    "x-ultracart-api-version": API_VERSION
  }
  const call = async () => {
    const response = await request(url, { dispatcher, method: "GET", headers })
    checkOrder("undici", response.statusCode, await response.body.json())
  }
  return { run: promiseRunner(call), close: () => dispatcher.close() }
}

/** The minimal program with our client: exchange one code over the Fetch transport. */
import * as FetchTransport from "@ultracart-oauth/adapters/FetchTransport"
import { exchangeOver } from "./ours.js"

export const run = (baseUrl: string): Promise<string> => exchangeOver(baseUrl, FetchTransport.layer())

/** The minimal program with our client: exchange one code over the default Node transport (undici). */
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import { exchangeOver } from "./ours.js"

export const run = (baseUrl: string): Promise<string> => exchangeOver(baseUrl, NodeTransport.layer())

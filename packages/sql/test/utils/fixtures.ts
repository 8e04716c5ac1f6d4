/** What the SQL tests share: the token sets of the shared contract, and a check retried until it passes. */
export { eventually } from "@ultracart-oauth/test-support/Eventually"
export { input, plain } from "../../../adapters/test/utils/TokenStoreContract.js"

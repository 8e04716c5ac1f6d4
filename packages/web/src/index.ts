/**
 * @ultracart-oauth/web — the browser leg of a many-merchant UltraCart app as `@effect/platform` routes: connect a
 * merchant (start → UltraCart's consent page → callback) and disconnect it.
 *
 * @since 0.2.0
 */

/** The connect, callback and disconnect routes, over the `MerchantGrants` registry. @since 0.2.0 */
export * as ConnectRoutes from "./ConnectRoutes.js"
/** What the routes refuse, as typed errors, and the status each is answered with. @since 0.2.0 */
export * as ConnectError from "./ConnectError.js"

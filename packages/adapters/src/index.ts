export * as OutcomeUnknown from "./OutcomeUnknown.js"
/** Retries that know which calls may be repeated: a wrapped OAuth client and an `HttpClient` transform. @since 0.1.0 */
export * as Retry from "./Retry.js"
/** The retry rules, bounds and schedule. @since 0.1.0 */
export * as RetryPolicy from "./RetryPolicy.js"
/** Request and body deadlines. @since 0.1.0 */
export * as Timeouts from "./Timeouts.js"
/** Authenticated `HttpClient` Layers for UltraCart's API, one per auth scheme. @since 0.1.0 */
export * as Auth from "./Auth.js"
/** The device authorization grant (RFC 8628): start, show the code, poll on a Schedule. @since 0.1.0 */
export * as DeviceFlow from "./DeviceFlow.js"
/** The Fetch transport (no Node import; `NodeTransport` is imported by its own path). @since 0.1.0 */
export * as FetchTransport from "./FetchTransport.js"
/** Where a grant's tokens live between refreshes: the store service and the in-memory store. @since 0.1.0 */
export * as TokenStore from "./TokenStore.js"
/** A token store on the file system: atomic writes, mode 0600, optional AES-GCM at rest. @since 0.1.0 */
export * as FileTokenStore from "./FileTokenStore.js"
/** AES-256-GCM encryption of stored tokens through Web Crypto. @since 0.1.0 */
export * as TokenEncryption from "./TokenEncryption.js"
/** A token set as one JSON record, plain or sealed (AES-256-GCM bound to grant and version), for any store. @since 0.2.0 */
export * as TokenRecord from "./TokenRecord.js"
/** A valid access token on demand: refresh ahead of expiry, single-flight, rotation, recovery, logout. @since 0.1.0 */
export * as TokenManager from "./TokenManager.js"
/** The UltraCart API client authenticated by a token manager, replaying once after a 401. @since 0.1.0 */
export * as AuthenticatedClient from "./AuthenticatedClient.js"
/** The token manager's answer for a grant that needs the merchant again. @since 0.2.0 */
export * as ReauthorizationRequired from "./ReauthorizationRequired.js"
/** What happens to a grant, as it happens: connected, refreshed, reauthorization required, disconnected. @since 0.2.0 */
export * as GrantEvent from "./GrantEvent.js"
/** Many merchants, one app: a registry of grants keyed by merchant, with connect, disconnect, list and events. @since 0.2.0 */
export * as MerchantGrants from "./MerchantGrants.js"

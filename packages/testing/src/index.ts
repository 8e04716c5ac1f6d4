/**
 * @ultracart-oauth/testing — a fake UltraCart OAuth server for tests: in memory as an `HttpClient` Layer, or on a
 * loopback port (`@ultracart-oauth/testing/FakeUltraCartServer`, Node only, not exported here so that the
 * in-memory fake needs no Node).
 *
 * @since 0.1.0
 */

/** The fake server: its service, options, Layers and controls. @since 0.1.0 */
export * as FakeUltraCart from "./FakeUltraCart.js"
/** The errors of the fake's controls. @since 0.1.0 */
export * as FakeUltraCartError from "./FakeUltraCartError.js"
/** Scriptable faults: delays, drops, 429, 5xx, malformed answers. @since 0.1.0 */
export * as Fault from "./Fault.js"
/** The merchant's decision on the consent page. @since 0.1.0 */
export * as AuthorizeDecision from "./AuthorizeDecision.js"
/** What the fake recorded about each request. @since 0.1.0 */
export * as RecordedRequest from "./RecordedRequest.js"
/** The transport-neutral request and answer model. @since 0.1.0 */
export * as FakeHttp from "./FakeHttp.js"
/** A little of UltraCart's REST API on the fake: the order endpoints. @since 0.2.0 */
export * as FakeRest from "./FakeRest.js"

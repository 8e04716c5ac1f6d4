// `TokenDatabase` (the store and its database from ULTRACART_DATABASE_URL) is Node-only: import it by its subpath,
// `@ultracart-oauth/sql/TokenDatabase`, so that the index runs on any runtime an @effect/sql client runs on.
/** A `TokenStore` on `@effect/sql` (SQLite, PostgreSQL): compare-and-set in one statement, a lease row, typed outages. @since 0.2.0 */
export * as SqlTokenStore from "./SqlTokenStore.js"
/** The store's tables and their migrations. @since 0.2.0 */
export * as SqlTokenSchema from "./SqlTokenSchema.js"
/** An exclusive lease per grant as a row: expiry by the database's clock, renewal, fencing, a bounded hold. @since 0.2.0 */
export * as SqlLease from "./SqlLease.js"

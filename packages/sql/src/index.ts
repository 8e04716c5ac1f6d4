/** A `TokenStore` on `@effect/sql` (SQLite, PostgreSQL): compare-and-set in one statement, a lease row, typed outages. @since 0.2.0 */
export * as SqlTokenStore from "./SqlTokenStore.js"
/** The store's tables and their migrations. @since 0.2.0 */
export * as SqlTokenSchema from "./SqlTokenSchema.js"
/** An exclusive lease per grant as a row: expiry by the database's clock, renewal, fencing, a bounded hold. @since 0.2.0 */
export * as SqlLease from "./SqlLease.js"
/** The store and its database (SQLite by default, PostgreSQL from a postgres:// URL) from one setting. @since 0.2.0 */
export * as TokenDatabase from "./TokenDatabase.js"

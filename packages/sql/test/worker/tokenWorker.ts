/**
 * The SQL store's test worker: the shared worker body on `TokenDatabase.layerConfig()` — the database (a SQLite
 * file, or PostgreSQL) from `ULTRACART_DATABASE_URL`, as an app server configures it.
 */
import { main } from "@ultracart-oauth/test-support/TokenWorker"
import * as TokenDatabase from "../../src/TokenDatabase.js"

void main(TokenDatabase.layerConfig())

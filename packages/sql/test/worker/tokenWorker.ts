/**
 * The SQL store's test worker: the Redis package's worker body on `TokenDatabase.layerConfig()` — the database
 * (a SQLite file, or PostgreSQL) from `ULTRACART_DATABASE_URL`, as an app server configures it.
 */
import { main } from "../../../redis/test/worker/program.js"
import * as TokenDatabase from "../../src/TokenDatabase.js"

void main(TokenDatabase.layerConfig())

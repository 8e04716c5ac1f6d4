/** The Redis store's test worker: the shared worker body (`program.ts`) on `RedisTokenStore.layerConfig()`. */
import * as RedisTokenStore from "../../src/RedisTokenStore.js"
import { main } from "./program.js"

void main(RedisTokenStore.layerConfig())

/** The Redis store's test worker: the shared worker body on `RedisTokenStore.layerConfig()`. */
import { main } from "@ultracart-oauth/test-support/TokenWorker"
import * as RedisTokenStore from "../../src/RedisTokenStore.js"

void main(RedisTokenStore.layerConfig())

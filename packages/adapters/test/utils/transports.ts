/** The package's transports, each as the Layer a program provides: what transport tests run against. */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { Layer } from "effect"
import * as FetchTransport from "../../src/FetchTransport.js"
import * as NodeTransport from "../../src/NodeTransport.js"

export const transports: ReadonlyArray<readonly [string, () => Layer.Layer<HttpClient.HttpClient>]> = [
  ["FetchTransport", () => FetchTransport.layer()],
  ["NodeTransport (undici)", () => NodeTransport.layer()],
  ["NodeTransport (node:http)", () => NodeTransport.layerNodeHttp()]
]

/**
 * Every measured client, by id: each is the module `clients/<id>.ts`, measured in a process of its own. The order
 * here is the order of the tables.
 */

export type Group = "token" | "api"

export interface Entry {
  readonly id: string
  readonly label: string
  readonly group: Group
  /** Shown in bold: the setups a program following the READMEs runs. */
  readonly production?: boolean
}

export const catalog: ReadonlyArray<Entry> = [
  { id: "node-http", label: "node:http keep-alive, by hand (floor)", group: "token" },
  { id: "undici", label: "undici `request`, by hand (undici floor)", group: "token" },
  { id: "fetch", label: "fetch, by hand (fetch floor)", group: "token" },
  {
    id: "ours-undici-prod",
    label: "ultracart-oauth: NodeTransport + Retry + Timeouts (production, Node)",
    group: "token",
    production: true
  },
  {
    id: "ours-fetch-prod",
    label: "ultracart-oauth: FetchTransport + Retry + Timeouts (production, fetch)",
    group: "token",
    production: true
  },
  { id: "ours-undici", label: "ultracart-oauth: NodeTransport alone", group: "token" },
  { id: "ours-undici-timeouts", label: "ultracart-oauth: NodeTransport + Timeouts, no Retry", group: "token" },
  { id: "ours-fetch", label: "ultracart-oauth: FetchTransport alone", group: "token" },
  { id: "ours-node-http", label: "ultracart-oauth: NodeTransport.layerNodeHttp alone", group: "token" },
  { id: "oauth4webapi", label: "oauth4webapi 3.8.8 (fetch)", group: "token" },
  { id: "simple-oauth2", label: "simple-oauth2 5.1.0 (wreck, node:http)", group: "token" },
  { id: "effect-platform", label: "idiomatic Effect: @effect/platform undici client + Schema", group: "token" },
  { id: "effect-fetch", label: "fetch in one abortable Effect.async (Effect's floor over fetch)", group: "token" },
  { id: "api-undici", label: "undici `request` GET, by hand (floor)", group: "api" },
  { id: "api-bare", label: "NodeTransport's HttpClient, GET by hand (the bare transport call)", group: "api" },
  {
    id: "api-authenticated-prod",
    label: "AuthenticatedClient, warm TokenManager, Retry + Timeouts (production)",
    group: "api",
    production: true
  },
  { id: "api-authenticated", label: "AuthenticatedClient, warm TokenManager, over NodeTransport", group: "api" },
  { id: "api-bearer", label: "Auth.layerBearer (a fixed token) over NodeTransport", group: "api" },
  { id: "api-bare-retry", label: "the bare call through Retry.transformClient alone", group: "api" },
  { id: "api-bare-timeouts", label: "the bare call through Timeouts.transformClient alone", group: "api" }
]

/** The reference each group's ratios are taken to, besides the `node:http` floor. */
export const references = {
  token: ["node-http", "undici", "fetch"],
  api: ["api-bare", "api-undici"]
} as const

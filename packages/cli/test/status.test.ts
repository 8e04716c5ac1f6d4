import { FileSystem } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { FetchTransport, FileTokenStore } from "@ultracart-oauth/adapters"
import { DateTime, Effect, Option, Redacted } from "effect"
import * as QuickStatus from "../src/QuickStatus.js"
import { envFor, NodeEnvironment, runCli, runQuickStatus, tempHome } from "./harness.js"

// A plain `status` runs without the command parser (the executable loads less for it): it must print and exit
// exactly as the full CLI does, and every other command line must go to the full CLI.

const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provide(FetchTransport.layer()), Effect.provide(NodeEnvironment))

describe("QuickStatus.parse", () => {
  it("takes `status` with --json and the settings flags, each once, as `--flag value`", () => {
    expect(QuickStatus.parse(["status"])).toEqual({ json: false, values: {} })
    expect(QuickStatus.parse(["status", "--json"])).toEqual({ json: true, values: {} })
    expect(
      QuickStatus.parse([
        "status",
        "--token-dir",
        "/t",
        "--json",
        "--grant",
        "shop 1",
        "--client-id",
        "c",
        "--base-url",
        "https://x.test/rest/v2",
        "--config",
        "c.json"
      ])
    ).toEqual({
      json: true,
      values: {
        "token-dir": "/t",
        grant: "shop 1",
        "client-id": "c",
        "base-url": "https://x.test/rest/v2",
        config: "c.json"
      }
    })
  })

  it("leaves every other command line to the full CLI", () => {
    for (const args of [
      [],
      ["grants"],
      ["token"],
      ["status", "--fake"],
      ["status", "--help"],
      ["status", "-h"],
      ["status", "--wizard"],
      ["status", "--nope"],
      ["status", "--json", "--json"],
      ["status", "--grant", "a", "--grant", "b"],
      ["status", "--grant"],
      ["status", "--grant", ""],
      ["status", "--grant", "--json"],
      ["status", "--grant=a"],
      ["status", "--log-level", "debug"],
      ["status", "extra"],
      ["status", "--", "--json"],
      ["--json", "status"],
      ["status", "--completions", "bash"]
    ]) {
      expect([args, QuickStatus.parse(args)]).toEqual([args, undefined])
    }
  })
})

describe("status without the command parser", () => {
  it.scoped(
    "prints and exits as the full CLI does: logged in or not, text or JSON, settings from everywhere, errors",
    () =>
      provide(
        Effect.gen(function* () {
          const home = yield* tempHome
          const fs = yield* FileSystem.FileSystem
          const store = yield* FileTokenStore.make({ directory: `${home}/tokens` })
          yield* store.save("shop-1", {
            accessToken: Redacted.make("access-token-secret"),
            refreshToken: Option.some(Redacted.make("refresh-token-secret")),
            expiresAt: DateTime.unsafeMake(3_600_000),
            issuedAt: DateTime.unsafeMake(0),
            scope: Option.some("order_read item_read")
          })
          yield* store.save("expired", {
            accessToken: Redacted.make("access-token-secret"),
            refreshToken: Option.none(),
            expiresAt: DateTime.unsafeMake(-5_000),
            issuedAt: DateTime.unsafeMake(-3_605_000),
            scope: Option.none()
          })
          yield* fs.writeFileString(`${home}/bad.json`, "{ not json")
          yield* fs.writeFileString(
            `${home}/config.json`,
            JSON.stringify({ clientId: "from-file", tokenDir: `${home}/tokens`, simpleKey: "simple-key-secret" })
          )
          const dir = ["--token-dir", `${home}/tokens`]
          const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>, number]> = [
            [["status", ...dir], {}, 3],
            [["status", "--json", ...dir], {}, 3],
            [["status", ...dir, "--grant", "shop-1"], {}, 0],
            [["status", "--grant", "shop-1", "--json", ...dir], {}, 0],
            [["status", ...dir, "--grant", "expired", "--client-id", "app-1"], {}, 0],
            [["status", "--config", `${home}/config.json`, "--grant", "shop-1"], {}, 0],
            [["status", "--json"], { ULTRACART_TOKEN_DIR: `${home}/tokens`, ULTRACART_TOKEN_GRANT: "shop-1" }, 0],
            [["status", "--json", ...dir], { ULTRACART_CLIENT_ID: "shop-1", NO_COLOR: "1" }, 0],
            [["status", ...dir, "--base-url", "ftp://nowhere"], {}, 2],
            [["status", "--config", `${home}/bad.json`], {}, 2],
            [["status", "--config", `${home}/missing.json`], {}, 2],
            [["status", ...dir, "--grant", "../escape"], {}, 3]
          ]
          for (const [args, extra, code] of cases) {
            const full = yield* runCli(args, { env: envFor(home, extra) })
            const quick = yield* runQuickStatus(args, { env: envFor(home, extra) })
            const seen = (r: typeof full) => ({ args, exitCode: r.exitCode, out: r.out, err: r.err })
            expect(seen(quick)).toEqual(seen(full))
            expect([args, full.exitCode]).toEqual([args, code])
            expect(full.all).not.toContain("secret")
          }
        })
      )
  )
})

import { FileSystem } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { FetchTransport } from "@ultracart-oauth/adapters"
import { Effect } from "effect"
import { envFor, NodeEnvironment, runCli, tempHome } from "./harness.js"

// Command-line handling and configuration: no request reaches any server in these tests.

const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provide(FetchTransport.layer()), Effect.provide(NodeEnvironment))

const writeFile = (path: string, text: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => Effect.orDie(fs.writeFileString(path, text))).pipe(
    Effect.provide(NodeEnvironment)
  )

const makeDirectory = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => Effect.orDie(fs.makeDirectory(path, { recursive: true }))).pipe(
    Effect.provide(NodeEnvironment)
  )

describe("command line", () => {
  it.scoped("--help lists the commands and exits 0", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        const result = yield* runCli(["--help"], { env: envFor(home) })
        expect(result.exitCode).toBe(0)
        for (const command of ["login", "device-login", "token", "refresh", "whoami", "status", "logout", "revoke"]) {
          expect(result.all).toContain(`- ${command} `)
        }
      })
    )
  )

  it.scoped("an unknown flag is a user error (exit 2) with the flag named and a hint", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        const result = yield* runCli(["login", "--client-id", "app", "--bogus"], { env: envFor(home) })
        expect(result.exitCode).toBe(2)
        expect(result.err).toContain("--bogus")
        expect(result.err).toContain("hint: see `ultracart-oauth --help`")
      })
    )
  )

  it.scoped("an unknown command is a user error (exit 2)", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        const result = yield* runCli(["frobnicate"], { env: envFor(home) })
        expect(result.exitCode).toBe(2)
        expect(result.err).toContain("error: invalid command line")
      })
    )
  )

  it.scoped("a missing client id is a user error that says where to set it", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        for (const command of ["login", "device-login", "token", "refresh", "whoami", "logout"]) {
          const result = yield* runCli([command], { env: envFor(home) })
          expect(result.exitCode).toBe(2)
          expect(result.err).toContain("error: client id is missing")
          expect(result.err).toContain("--client-id")
          expect(result.err).toContain("ULTRACART_CLIENT_ID")
        }
      })
    )
  )

  it.scoped("login refuses a redirect URI that is not loopback http (exit 2)", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        const result = yield* runCli(
          ["login", "--client-id", "app", "--redirect-uri", "https://app.example.test/callback"],
          { env: envFor(home) }
        )
        expect(result.exitCode).toBe(2)
        expect(result.err).toContain("Cannot listen for the redirect")
        expect(result.err).toContain("hint: use a loopback redirect URI")
      })
    )
  )

  it.scoped("token without stored tokens asks for a login (exit 3) and prints nothing on stdout", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        const result = yield* runCli(["token", "--client-id", "app"], { env: envFor(home) })
        expect(result.exitCode).toBe(3)
        expect(result.out).toBe("")
        expect(result.err).toContain("no tokens are stored")
        expect(result.err).toContain("hint: run `ultracart-oauth login`")
      })
    )
  )
})

describe("configuration: flags over environment over config file", () => {
  const status = (args: ReadonlyArray<string>, env: Record<string, string>) =>
    Effect.map(runCli(["status", "--json", ...args], { env }), (result) => {
      // Not logged in: status says so with exit 3, after printing what it knows.
      expect(result.exitCode).toBe(3)
      return { json: JSON.parse(result.out) as Record<string, unknown>, result }
    })

  it.scoped("reads the default config file, then lets the environment and flags override it", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        yield* makeDirectory(`${home}/.config/ultracart-oauth`)
        yield* writeFile(
          `${home}/.config/ultracart-oauth/config.json`,
          JSON.stringify({
            clientId: "from-file",
            baseUrl: "https://file.example.test/rest/v2",
            tokenDir: `${home}/file-tokens`,
            simpleKey: "file-simple-key-secret"
          })
        )
        const fromFile = yield* status([], envFor(home))
        expect(fromFile.json).toMatchObject({
          clientId: "from-file",
          grant: "from-file",
          baseUrl: "https://file.example.test/rest/v2",
          tokenDir: `${home}/file-tokens`,
          tokenDirSource: "file",
          configFile: `${home}/.config/ultracart-oauth/config.json`,
          loggedIn: false
        })
        expect(fromFile.result.all).not.toContain("file-simple-key-secret")

        const fromEnv = yield* status(
          [],
          envFor(home, { ULTRACART_CLIENT_ID: "from-env", ULTRACART_TOKEN_DIR: `${home}/env` })
        )
        expect(fromEnv.json).toMatchObject({ clientId: "from-env", tokenDir: `${home}/env`, tokenDirSource: "env" })

        const fromFlag = yield* status(
          ["--client-id", "from-flag", "--grant", "shop-1", "--token-dir", `${home}/flag`],
          envFor(home, { ULTRACART_CLIENT_ID: "from-env" })
        )
        expect(fromFlag.json).toMatchObject({
          clientId: "from-flag",
          grant: "shop-1",
          tokenDir: `${home}/flag`,
          tokenDirSource: "flag",
          baseUrl: "https://file.example.test/rest/v2"
        })
      })
    )
  )

  it.scoped("--config (or ULTRACART_OAUTH_CONFIG) names the file; a missing or broken one is a user error", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        yield* writeFile(`${home}/mine.json`, JSON.stringify({ clientId: "mine" }))
        const viaEnv = yield* status([], envFor(home, { ULTRACART_OAUTH_CONFIG: `${home}/mine.json` }))
        expect(viaEnv.json).toMatchObject({ clientId: "mine" })

        const missing = yield* runCli(["status", "--config", `${home}/nope.json`], { env: envFor(home) })
        expect(missing.exitCode).toBe(2)
        expect(missing.err).toContain("does not exist")

        yield* writeFile(`${home}/broken.json`, "{ clientId: ")
        const broken = yield* runCli(["token", "--config", `${home}/broken.json`], { env: envFor(home) })
        expect(broken.exitCode).toBe(2)
        expect(broken.err).toContain("not valid JSON")

        yield* writeFile(`${home}/typed.json`, JSON.stringify({ clientId: 42, simpleKey: "typed-secret-key" }))
        const typed = yield* runCli(["token", "--config", `${home}/typed.json`], { env: envFor(home) })
        expect(typed.exitCode).toBe(2)
        expect(typed.err).toContain("wrong type")
        expect(typed.all).not.toContain("typed-secret-key")
      })
    )
  )
})

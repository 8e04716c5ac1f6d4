import { FileSystem } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { FetchTransport } from "@ultracart-oauth/adapters"
import { Effect } from "effect"
import * as Help from "../src/Help.js"
import { controlCharacters, envFor, makeCaptureWith, NodeEnvironment, runCli, tempHome } from "./harness.js"

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
  it.scoped("--help, -h, help and no arguments print the short help: each command on one line", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        for (const args of [["--help"], ["-h"], ["help"], []]) {
          const result = yield* runCli(args, { env: envFor(home) })
          expect(result.exitCode).toBe(0)
          expect(result.err).toBe("")
          const lines = result.out.split("\n")
          expect(lines.length).toBeLessThanOrEqual(40)
          for (const [command, summary] of Object.entries(Help.COMMANDS)) {
            expect(lines.filter((line) => line.startsWith(`  ${command} `) && line.endsWith(summary))).toHaveLength(1)
          }
          // The details are under each command.
          expect(result.out).not.toContain("--token-dir")
        }
      })
    )
  )

  it.scoped("a command's --help (or help <command>) shows its flags; --version the version", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        for (const args of [
          ["login", "--help"],
          ["help", "login"]
        ]) {
          const result = yield* runCli(args, { env: envFor(home) })
          expect(result.exitCode).toBe(0)
          for (const flag of ["--client-id", "--redirect-uri", "--open", "--timeout", "--json"]) {
            expect(result.out).toContain(flag)
          }
        }
        const version = yield* runCli(["--version"], { env: envFor(home) })
        expect([version.exitCode, version.out]).toEqual([0, Help.VERSION])
      })
    )
  )

  it.scoped("colour only on a terminal that shows it, and never with NO_COLOR set", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        const coloured = (text: string) => controlCharacters(text).includes("\u001b")
        const help = (color: boolean, extra: Record<string, string> = {}) =>
          Effect.flatMap(makeCaptureWith({ color }), (capture) =>
            runCli(["login", "--help"], { env: envFor(home, extra), capture })
          )
        expect(coloured((yield* help(true)).out)).toBe(true)
        expect(coloured((yield* help(true, { NO_COLOR: "1" })).out)).toBe(false)
        // An empty NO_COLOR does not count (no-color.org).
        expect(coloured((yield* help(true, { NO_COLOR: "" })).out)).toBe(true)
        const piped = yield* help(false)
        expect(coloured(piped.out)).toBe(false)
        expect(piped.out).toContain("--client-id")
        // @effect/cli's own error text (an unknown flag) too.
        const capture = yield* makeCaptureWith({ color: false })
        const bad = yield* runCli(["status", "--bogus"], { env: envFor(home), capture })
        expect(bad.exitCode).toBe(2)
        expect(bad.err).toContain("--bogus")
        expect(controlCharacters(bad.all)).toEqual([])
      })
    )
  )

  it.scoped("--wizard without a terminal is a user error at once instead of waiting for keys", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        for (const args of [["--wizard"], ["login", "--wizard"]]) {
          const result = yield* runCli(args, { env: envFor(home) })
          expect(result.exitCode).toBe(2)
          expect(result.err).toContain("error: --wizard needs a terminal")
          expect(result.err).toContain("hint: run it in a terminal, or pass the flags yourself")
        }
      })
    )
  )

  it.scoped("--completions prints a completion script that knows the commands", () =>
    provide(
      Effect.gen(function* () {
        const home = yield* tempHome
        for (const shell of ["bash", "zsh", "fish"]) {
          const result = yield* runCli(["--completions", shell], { env: envFor(home) })
          expect(result.exitCode).toBe(0)
          for (const command of Object.keys(Help.COMMANDS))
            expect([shell, result.out]).toEqual([shell, expect.stringContaining(command)])
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

        yield* writeFile(`${home}/typo.json`, JSON.stringify({ clientID: "mine", tokendir: "/x", colour: true }))
        const typo = yield* runCli(["status", "--config", `${home}/typo.json`], { env: envFor(home) })
        expect(typo.exitCode).toBe(2)
        expect(typo.err).toContain(`${home}/typo.json has unknown keys: "clientID", "tokendir", "colour"`)
        expect(typo.err).toContain('did you mean "clientId" for "clientID"?')
        expect(typo.err).toContain('did you mean "tokenDir" for "tokendir"?')
        expect(typo.err).not.toContain('for "colour"')
        expect(typo.err).toContain("the keys are clientId, baseUrl,")

        yield* writeFile(`${home}/typed.json`, JSON.stringify({ clientId: 42, simpleKey: "typed-secret-key" }))
        const typed = yield* runCli(["token", "--config", `${home}/typed.json`], { env: envFor(home) })
        expect(typed.exitCode).toBe(2)
        expect(typed.err).toContain("wrong type")
        expect(typed.all).not.toContain("typed-secret-key")
      })
    )
  )
})

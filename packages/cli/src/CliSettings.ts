/**
 * The CLI's settings, resolved in one place from (highest first) command-line flags, the environment, a JSON
 * config file, and defaults. Secrets (API keys, the store's encryption key) come only from the environment or
 * the config file: a flag would show in `ps` and in shell history.
 *
 * @since 0.1.0
 */
import * as AutoCorrect from "@effect/cli/AutoCorrect"
import * as CliConfig from "@effect/cli/CliConfig"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Printable from "./Printable.js"

/**
 * The settings a command can take as flags (all optional: the rest comes from the environment and the file).
 *
 * @since 0.1.0
 * @category models
 */
export interface Flags {
  readonly clientId: Option.Option<string>
  readonly baseUrl: Option.Option<string>
  readonly redirectUri: Option.Option<string>
  readonly tokenDir: Option.Option<string>
  readonly grant: Option.Option<string>
  readonly config: Option.Option<string>
}

/**
 * The config file's shape (`config.json`). Every member is optional.
 *
 * @since 0.1.0
 * @category models
 */
export const ConfigFile = Schema.Struct({
  clientId: Schema.optional(Schema.NonEmptyTrimmedString),
  baseUrl: Schema.optional(Schema.NonEmptyTrimmedString),
  apiVersion: Schema.optional(Schema.NonEmptyTrimmedString),
  redirectUri: Schema.optional(Schema.NonEmptyTrimmedString),
  tokenDir: Schema.optional(Schema.NonEmptyTrimmedString),
  grant: Schema.optional(Schema.NonEmptyTrimmedString),
  scope: Schema.optional(Schema.NonEmptyTrimmedString),
  simpleKey: Schema.optional(Schema.Redacted(Schema.NonEmptyTrimmedString)),
  browserKey: Schema.optional(Schema.Redacted(Schema.NonEmptyTrimmedString)),
  tokenEncryptionKey: Schema.optional(Schema.Redacted(Schema.NonEmptyTrimmedString))
}).annotations({ identifier: "ConfigFile" })

/**
 * @since 0.1.0
 * @category models
 */
export type ConfigFile = typeof ConfigFile.Type

/**
 * Where a setting came from, for `status` and for hints.
 *
 * @since 0.1.0
 * @category models
 */
export type Source = "flag" | "env" | "file" | "default"

/**
 * The resolved settings of one run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly clientId: string
  /** Absent: core's default (UltraCart's production URL). */
  readonly baseUrl: Option.Option<string>
  readonly apiVersion: Option.Option<string>
  readonly redirectUri: string
  readonly tokenDir: string
  readonly tokenDirSource: Source
  /** The grant's key in the token store (the client id unless set). */
  readonly grant: string
  /** The device flow's application-level scope, when configured (`--scope` wins). */
  readonly scope: Option.Option<string>
  readonly simpleKey: Option.Option<Redacted.Redacted<string>>
  readonly browserKey: Option.Option<Redacted.Redacted<string>>
  readonly tokenEncryptionKey: Option.Option<Redacted.Redacted<string>>
  /** The config file read, if any. */
  readonly configFile: Option.Option<string>
}

/**
 * The redirect URI used when none is configured: a loopback listener on a fixed port (register it with the app).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_REDIRECT_URI = "http://127.0.0.1:8976/callback"

/**
 * A setting is missing or unusable, or the config file cannot be read. Carries a hint saying where to set it.
 *
 * @since 0.1.0
 * @category errors
 */
export class SettingsError extends Schema.TaggedError<SettingsError>()("SettingsError", {
  setting: Schema.String,
  reason: Schema.String,
  hint: Schema.String
}) {
  override get message(): string {
    return `${this.setting} ${this.reason}`
  }
}

const env = {
  clientId: "ULTRACART_CLIENT_ID",
  baseUrl: "ULTRACART_BASE_URL",
  apiVersion: "ULTRACART_API_VERSION",
  redirectUri: "ULTRACART_REDIRECT_URI",
  tokenDir: "ULTRACART_TOKEN_DIR",
  grant: "ULTRACART_TOKEN_GRANT",
  scope: "ULTRACART_DEVICE_SCOPE",
  simpleKey: "ULTRACART_SIMPLE_KEY",
  browserKey: "ULTRACART_BROWSER_KEY",
  tokenEncryptionKey: "ULTRACART_TOKEN_ENCRYPTION_KEY",
  config: "ULTRACART_OAUTH_CONFIG"
} as const

/**
 * The environment variable of each setting.
 *
 * @since 0.1.0
 * @category constants
 */
export const ENV: typeof env = env

const optionalEnv = (name: string) => Config.option(Config.nonEmptyString(name))
const optionalSecretEnv = (name: string) => Config.option(Config.redacted(Config.nonEmptyString(name)))

const envSettings = Config.all({
  clientId: optionalEnv(env.clientId),
  baseUrl: optionalEnv(env.baseUrl),
  apiVersion: optionalEnv(env.apiVersion),
  redirectUri: optionalEnv(env.redirectUri),
  tokenDir: optionalEnv(env.tokenDir),
  grant: optionalEnv(env.grant),
  scope: optionalEnv(env.scope),
  simpleKey: optionalSecretEnv(env.simpleKey),
  browserKey: optionalSecretEnv(env.browserKey),
  tokenEncryptionKey: optionalSecretEnv(env.tokenEncryptionKey),
  config: optionalEnv(env.config),
  xdgConfigHome: optionalEnv("XDG_CONFIG_HOME"),
  home: optionalEnv("HOME")
})

/**
 * The CLI's own directory: `$XDG_CONFIG_HOME/ultracart-oauth`, else `$HOME/.config/ultracart-oauth`.
 */
const appDirectory = (path: Path.Path, xdg: Option.Option<string>, home: Option.Option<string>) =>
  Option.match(xdg, {
    onSome: (dir) => Option.some(path.join(dir, "ultracart-oauth")),
    onNone: () => Option.map(home, (h) => path.join(h, ".config", "ultracart-oauth"))
  })

const decodeConfigFile = Schema.decodeUnknownEither(ConfigFile)

const CONFIG_KEYS: ReadonlyArray<string> = Object.keys(ConfigFile.fields)

/**
 * The config file's key closest to `key` (case aside, at most two edits away, as `@effect/cli` corrects flags).
 *
 * @since 0.2.0
 * @category utils
 */
export const suggestKey = (key: string): string | undefined => {
  let best: readonly [string, number] | undefined
  for (const candidate of CONFIG_KEYS) {
    const distance = AutoCorrect.levensteinDistance(key, candidate, CliConfig.defaultConfig)
    if (distance <= CliConfig.defaultConfig.autoCorrectLimit && (best === undefined || distance < best[1])) {
      best = [candidate, distance]
    }
  }
  return best?.[0]
}

/** The members of a config object that are no setting (a typo would otherwise be silently ignored). */
const unknownKeys = (json: unknown): ReadonlyArray<readonly [string, string | undefined]> =>
  typeof json === "object" && json !== null && !Array.isArray(json)
    ? Object.keys(json)
        .filter((key) => !CONFIG_KEYS.includes(key))
        .map((key) => [Printable.line(key), suggestKey(key)] as const)
    : []

const readConfigFile = (
  file: string,
  required: boolean
): Effect.Effect<Option.Option<ConfigFile>, SettingsError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const exists = yield* Effect.orElseSucceed(fs.exists(file), () => false)
    if (!exists) {
      if (!required) return Option.none()
      return yield* new SettingsError({
        setting: "config file",
        reason: `${file} does not exist`,
        hint: `create it, or point --config / ${env.config} at an existing JSON file`
      })
    }
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError(
        () =>
          new SettingsError({
            setting: "config file",
            reason: `${file} cannot be read`,
            hint: "check its permissions"
          })
      )
    )
    const invalid = (what: string) =>
      new SettingsError({
        setting: "config file",
        reason: `${file} is not a usable config file (${what})`,
        hint:
          "clientId, baseUrl, apiVersion, redirectUri, tokenDir, grant, scope, simpleKey, browserKey and " +
          "tokenEncryptionKey are non-empty strings"
      })
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return yield* invalid("it is not valid JSON")
    }
    const unknown = unknownKeys(json)
    if (unknown.length > 0) {
      return yield* new SettingsError({
        setting: "config file",
        reason: `${file} has ${unknown.length === 1 ? "an unknown key" : "unknown keys"}: ${unknown
          .map(([key]) => JSON.stringify(key))
          .join(", ")}`,
        hint: [
          ...unknown.flatMap(([key, suggestion]) =>
            suggestion === undefined ? [] : [`did you mean "${suggestion}" for "${key}"?`]
          ),
          `the keys are ${CONFIG_KEYS.join(", ")}`
        ].join("; ")
      })
    }
    const decoded = decodeConfigFile(json)
    if (decoded._tag === "Left") {
      // Name the members that failed, never their values (the file may hold keys).
      const members = ParseResult.ArrayFormatter.formatErrorSync(decoded.left).map((issue) =>
        issue.path.length === 0 ? "the top level is not an object" : issue.path.join(".")
      )
      return yield* invalid(`wrong type or empty: ${[...new Set(members)].join(", ")}`)
    }
    return Option.some(decoded.right)
  })

const firstOf = <A>(...options: ReadonlyArray<Option.Option<A>>): Option.Option<A> =>
  options.reduce((found, next) => Option.orElse(found, () => next), Option.none<A>())

/**
 * Resolves the settings of a run: flags, then the environment (through `Config`, so a test can give its own
 * `ConfigProvider`), then the config file (`--config`, `ULTRACART_OAUTH_CONFIG`, or `config.json` in the CLI's
 * directory when it exists), then defaults. `requireClientId: false` lets `status` run without one.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (
  flags: Flags,
  options: { readonly requireClientId: boolean; readonly fakeTokenDir?: string | undefined }
): Effect.Effect<Settings, SettingsError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const fromEnv = yield* Effect.mapError(
      envSettings,
      (error) =>
        new SettingsError({
          setting: "environment",
          reason: `cannot be read (${error._op})`,
          hint: "check the ULTRACART_* variables"
        })
    )
    const appDir = appDirectory(path, fromEnv.xdgConfigHome, fromEnv.home)
    const explicitFile = firstOf(flags.config, fromEnv.config)
    const configPath = Option.orElse(explicitFile, () => Option.map(appDir, (dir) => path.join(dir, "config.json")))
    const file = Option.isSome(configPath)
      ? yield* readConfigFile(path.resolve(configPath.value), Option.isSome(explicitFile))
      : Option.none()
    const fromFile = <K extends keyof ConfigFile>(key: K): Option.Option<NonNullable<ConfigFile[K]>> =>
      Option.flatMap(file, (f) => Option.fromNullable(f[key]))

    const clientId = firstOf(flags.clientId, fromEnv.clientId, fromFile("clientId"))
    if (options.requireClientId && Option.isNone(clientId)) {
      return yield* new SettingsError({
        setting: "client id",
        reason: "is missing",
        hint: `pass --client-id, set ${env.clientId}, or add "clientId" to ${Option.getOrElse(
          configPath,
          () => "a config file"
        )}`
      })
    }
    const tokenDirChoice = firstOf<readonly [string, Source]>(
      Option.map(flags.tokenDir, (d) => [d, "flag"] as const),
      Option.map(fromEnv.tokenDir, (d) => [d, "env"] as const),
      Option.map(fromFile("tokenDir"), (d) => [d, "file"] as const),
      Option.map(Option.fromNullable(options.fakeTokenDir), (d) => [d, "default"] as const),
      Option.map(appDir, (d) => [path.join(d, "tokens"), "default"] as const)
    )
    if (Option.isNone(tokenDirChoice)) {
      return yield* new SettingsError({
        setting: "token directory",
        reason: "cannot be chosen (neither HOME nor XDG_CONFIG_HOME is set)",
        hint: `pass --token-dir or set ${env.tokenDir}`
      })
    }
    const id = Option.getOrElse(clientId, () => "")
    return {
      clientId: id,
      baseUrl: firstOf(flags.baseUrl, fromEnv.baseUrl, fromFile("baseUrl")),
      apiVersion: firstOf(fromEnv.apiVersion, fromFile("apiVersion")),
      redirectUri: Option.getOrElse(
        firstOf(flags.redirectUri, fromEnv.redirectUri, fromFile("redirectUri")),
        () => DEFAULT_REDIRECT_URI
      ),
      tokenDir: path.resolve(tokenDirChoice.value[0]),
      tokenDirSource: tokenDirChoice.value[1],
      grant: Option.getOrElse(firstOf(flags.grant, fromEnv.grant, fromFile("grant")), () => id),
      scope: firstOf(fromEnv.scope, fromFile("scope")),
      simpleKey: firstOf(fromEnv.simpleKey, fromFile("simpleKey")),
      browserKey: firstOf(fromEnv.browserKey, fromFile("browserKey")),
      tokenEncryptionKey: firstOf(fromEnv.tokenEncryptionKey, fromFile("tokenEncryptionKey")),
      configFile: Option.filter(
        Option.map(configPath, (p) => path.resolve(p)),
        () => Option.isSome(file)
      )
    }
  })

/**
 * A redacted view of a secret setting for display: whether it is set, never its value.
 *
 * @since 0.1.0
 * @category utils
 */
export const presence = (secret: Option.Option<Redacted.Redacted<string>>): string =>
  Option.isSome(secret) ? "set" : "not set"

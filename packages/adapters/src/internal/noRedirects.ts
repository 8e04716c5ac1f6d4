/**
 * The API client never lets a Fetch transport follow a redirect: `fetch` re-sends custom headers — the simple and
 * browser key headers among them — to wherever a 3xx points, another origin included (it drops only
 * `Authorization`). With this, a 3xx comes back as the response. (Core's OAuth client does the same for its calls;
 * its helper is internal to core, so this is the API client's own.)
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { identity } from "effect/Function"
import * as Option from "effect/Option"

/**
 * Adds `redirect: "manual"` to the `RequestInit` of every request, keeping every other member of the program's.
 *
 * The option is added in a request step, which runs inside the context `FetchHttpClient.layer` merges (where the
 * program's `RequestInit` lives: a dispatcher, keepalive…), so it extends that value instead of shadowing it; the
 * outer `locallyWith` restores the context for whatever runs next. The lean Fetch transport reads the same tag.
 */
export const withoutFetchRedirects = <E, R>(
  client: HttpClient.HttpClient.With<E, R>
): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transformResponse(
    HttpClient.mapRequestEffect(client, (request) =>
      Effect.as(
        FiberRef.update(FiberRef.currentContext, (context) =>
          Context.add(context, FetchHttpClient.RequestInit, {
            ...Option.getOrUndefined(Context.getOption(context, FetchHttpClient.RequestInit)),
            redirect: "manual"
          })
        ),
        request
      )
    ),
    (effect) => Effect.locallyWith(effect, FiberRef.currentContext, identity)
  )

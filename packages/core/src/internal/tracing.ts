import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Tracer from "effect/Tracer"

/** The tracer a fiber has until the program installs one. Its spans reach no exporter. */
const defaultTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/**
 * Whether a call should make its spans: tracing is on, and a tracer was installed or the call runs inside a span
 * (whose trace a `transformClient` may propagate). Otherwise spans would reach nothing, and cost about a quarter
 * of a call's overhead, so the call makes none.
 */
export const isTracing = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean =>
  fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
  (fiber.currentTracer !== defaultTracer || fiber.currentContext.unsafeMap.has(Tracer.ParentSpan.key))

/**
 * A `Tracer` that keeps every span it makes (name, attributes, events, exit), for checking what would reach a
 * trace exporter.
 */
import { Cause, type Context, Effect, Exit, Layer, Option, Tracer } from "effect"

export class RecordedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly spanId: string
  readonly traceId: string
  readonly sampled = true
  status: Tracer.SpanStatus
  readonly attributes = new Map<string, unknown>()
  readonly events: Array<[name: string, attributes: Record<string, unknown>]> = []
  readonly links: Array<Tracer.SpanLink>

  constructor(
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind,
    id: number
  ) {
    this.status = { _tag: "Started", startTime }
    this.traceId = Option.match(parent, { onNone: () => `trace-${id}`, onSome: (p) => p.traceId })
    this.spanId = `span-${id}`
    this.links = [...links]
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }
  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }
  event(name: string, _startTime: bigint, attributes?: Record<string, unknown>): void {
    this.events.push([name, attributes ?? {}])
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }

  /** Everything an exporter would print about this span. */
  get renderings(): ReadonlyArray<string> {
    const exit = this.status._tag === "Ended" ? this.status.exit : undefined
    return [
      this.name,
      ...[...this.attributes].map(([key, value]) => `${key}=${String(value)}`),
      ...this.events.map(([name, attributes]) => `${name} ${JSON.stringify(attributes)}`),
      exit !== undefined && Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
    ]
  }
}

/** A Layer installing a recording tracer, and the list its spans go to. */
export const make = () => {
  const spans: Array<RecordedSpan> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const span = new RecordedSpan(name, parent, context, links, startTime, kind, spans.length)
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
  return { spans, layer: Layer.setTracer(tracer) }
}

/** Provides a fresh recording tracer to an effect and hands back its spans with the result. */
export const recording = <A, E, R>(effect: Effect.Effect<A, E, R>) => {
  const { layer, spans } = make()
  return Effect.map(Effect.provide(Effect.either(effect), layer), (result) => ({ result, spans }))
}

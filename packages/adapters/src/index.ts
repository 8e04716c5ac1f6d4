export * as OutcomeUnknown from "./OutcomeUnknown.js"

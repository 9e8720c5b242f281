/**
 * Pieces every stage's settings schema is built from, and the pipeline facts a stage may read when it
 * plans. They live in core so that stage folders never import from src/pipeline.
 */
import { Schema } from "effect"

export const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const TokenizerName = Schema.Literals(["o200k_base", "cl100k_base"]).annotate({
  description: "tiktoken encoding, shipped offline with the tiktoken package"
})
export type TokenizerName = typeof TokenizerName.Type

/** The `tasks` key every stage has. */
export const tasksSetting = Schema.optionalKey(PositiveInt).annotate({
  description: "Number of tasks the stage is split into (independent of --workers, so outputs do not depend on it)"
})

/** Expand `${VAR}` and `${VAR:-default}` so a pipeline can point at data whose place differs per machine. */
export function expandEnv(s: string, env: NodeJS.ProcessEnv = process.env): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => env[name] ?? fallback ?? "")
}

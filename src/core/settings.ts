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

/** Slurm job settings (sbatch options) for one stage; `phases` overrides them for one of its phases. */
const slurmJobFields = {
  partition: Schema.optionalKey(Schema.String).annotate({ description: "sbatch --partition" }),
  account: Schema.optionalKey(Schema.String).annotate({ description: "sbatch --account" }),
  time: Schema.optionalKey(Schema.String).annotate({ description: "sbatch --time per task, e.g. 02:00:00" }),
  cpus_per_task: Schema.optionalKey(PositiveInt).annotate({ description: "sbatch --cpus-per-task (default 1: a task is one process)" }),
  mem: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\d+[KMGT]?$/))).annotate({
    description: "sbatch --mem per task, e.g. 8G (default: from the phase's memory model, see the README)"
  }),
  max_parallel: Schema.optionalKey(PositiveInt).annotate({ description: "At most this many tasks of the array at once (--array=...%K)" }),
  sbatch_args: Schema.optionalKey(Schema.Array(Schema.String)).annotate({ description: "More sbatch arguments, each one word, e.g. --qos=normal" }),
  scratch: Schema.optionalKey(Schema.String).annotate({ description: "Node-local scratch folder for task temporaries (default $TMPDIR, else /tmp)" })
}
export const SlurmJobSettings = Schema.Struct(slurmJobFields)
export type SlurmJobSettings = typeof SlurmJobSettings.Type

export const SlurmSettings = Schema.Struct({
  ...slurmJobFields,
  phases: Schema.optionalKey(Schema.Record(Schema.String, SlurmJobSettings)).annotate({
    description: "Per phase (dedup-exact, minhash-signatures, minhash-buckets, minhash-clusters, bundle-shards, ...): settings that override the stage's"
  })
}).annotate({ title: "SlurmSettings", description: "How this stage's tasks are submitted with --executor slurm; ignored by the local executor and not part of any plan's hash" })
export type SlurmSettings = typeof SlurmSettings.Type

/** The `slurm` key every stage has. */
export const slurmSetting = Schema.optionalKey(SlurmSettings)

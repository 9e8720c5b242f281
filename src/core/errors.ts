/**
 * The failures a user can meet, as tagged values. Per-document problems never become these: they are
 * reject records. These stop a stage or a command: a broken config, an unreadable dataset, a failed task.
 */
import { Data } from "effect"

/** A pipeline or stage config that does not validate; names the file, the key and what was expected. */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly file: string
  readonly message: string
}> {}

/** Reading or writing a dataset folder, a shard or a bundle failed (I/O or DuckDB). */
export class DatasetError extends Data.TaggedError("DatasetError")<{
  readonly path: string
  readonly operation: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `${this.operation} ${this.path}: ${describeCause(this.cause)}`
  }
}

/** A task's counts do not add up: some input has no outcome. A bug in a stage, never bad input. */
export class AccountingError extends Data.TaggedError("AccountingError")<{
  readonly stage: string
  /** The task's rank (0-based; shown 1-based), or null when the stage as a whole read a different number of documents than its input holds. */
  readonly rank: number | null
  readonly detail: string
}> {
  override get message(): string {
    return `stage ${this.stage}${this.rank === null ? "" : ` task ${this.rank + 1}`} does not account for every input: ${this.detail}`
  }
}

/** Another run holds the lock on a work folder. */
export class LockedError extends Data.TaggedError("LockedError")<{ readonly dir: string; readonly pid: number; readonly file: string }> {
  override get message(): string {
    return `${this.dir} is in use by another scicurate run (pid ${this.pid}); wait for it or stop it (if no such run exists, delete ${this.file})`
  }
}

/** One or more tasks of a stage failed; the run can be resumed once the cause is fixed. */
export class StageFailed extends Data.TaggedError("StageFailed")<{
  readonly stage: string
  /** `rank` is 0-based (as in shard names); messages show it 1-based, "task 1" being the first. */
  readonly failures: ReadonlyArray<{ readonly rank: number; readonly detail: string }>
}> {
  override get message(): string {
    const lines = this.failures.map((f) => `  task ${f.rank + 1}: ${f.detail}`)
    return `stage ${this.stage}: ${this.failures.length} task(s) failed\n${lines.join("\n")}`
  }
}

/** A command was used wrongly (missing input, unknown stage name). */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message
  return String(cause)
}

/** A Slurm command (sbatch, squeue, scontrol, scancel) failed or is missing, or submitted jobs did not all finish. */
export class SlurmError extends Data.TaggedError("SlurmError")<{ readonly message: string }> {}

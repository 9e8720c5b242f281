/** The flags `run` takes for the Slurm executor; the same keys a stage's `slurm:` block sets in a pipeline file. */
import { Option } from "effect"
import { Flag } from "effect/cli"
import type { SlurmJobSettings } from "../core/settings.ts"

const text = (name: string, description: string) => Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)
const count = (name: string, description: string) => Flag.Int(name).pipe(Flag.withDescription(description), Flag.optional)

export const slurmRunFlags = {
  executor: Flag.Literals("executor", ["local", "slurm"]).pipe(
    Flag.withDescription("Where tasks run: worker processes here (local, default) or job arrays on a Slurm cluster (slurm)"),
    Flag.withDefault("local" as const)
  ),
  partition: text("partition", "slurm: sbatch --partition"),
  account: text("account", "slurm: sbatch --account"),
  time: text("time", "slurm: sbatch --time per task, e.g. 02:00:00"),
  cpusPerTask: count("cpus-per-task", "slurm: sbatch --cpus-per-task (default 1)"),
  mem: text("mem", "slurm: sbatch --mem per task, e.g. 8G (default: by phase, see the README)"),
  maxParallel: count("max-parallel", "slurm: at most this many tasks of an array at once (--array=...%K)"),
  sbatchArg: Flag.String("sbatch-arg").pipe(Flag.withDescription("slurm: one more sbatch argument, e.g. --sbatch-arg=--qos=normal (repeatable)"), Flag.atLeast(0)),
  scratch: text("scratch", "slurm: node-local scratch folder for task temporaries (default $TMPDIR, else /tmp)"),
  detach: Flag.Boolean("detach").pipe(Flag.withDescription("slurm: return once the jobs are submitted (follow with scicurate status WORK)"), Flag.withDefault(false)),
  dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("slurm: print the sbatch scripts that would be submitted, submit nothing"), Flag.withDefault(false))
}

interface SlurmFlagValues {
  readonly partition: Option.Option<string>
  readonly account: Option.Option<string>
  readonly time: Option.Option<string>
  readonly cpusPerTask: Option.Option<number>
  readonly mem: Option.Option<string>
  readonly maxParallel: Option.Option<number>
  readonly sbatchArg: ReadonlyArray<string>
  readonly scratch: Option.Option<string>
}

/** The command line's Slurm settings, as a stage's `slurm:` block would give them. */
export function slurmSettingsOf(args: SlurmFlagValues): SlurmJobSettings {
  const out: Record<string, unknown> = {}
  const set = (key: string, value: Option.Option<unknown>) => Option.isSome(value) && (out[key] = value.value)
  set("partition", args.partition)
  set("account", args.account)
  set("time", args.time)
  set("cpus_per_task", args.cpusPerTask)
  set("mem", args.mem)
  set("max_parallel", args.maxParallel)
  set("scratch", args.scratch)
  if (args.sbatchArg.length > 0) out.sbatch_args = [...args.sbatchArg]
  return out as SlurmJobSettings
}

/**
 * The ingest stage, declared (see StageDefinition): its settings, how it plans (list the inputs, cut
 * large JSONL files at line boundaries, spread the files over tasks by size) and, loaded lazily, the
 * code of its tasks. It reads files, so it is the first stage of every pipeline.
 */
import * as fs from "node:fs"
import { Schema } from "effect"
import { DOCUMENT_COLUMN_NAMES } from "../core/document.ts"
import { ConfigError } from "../core/errors.ts"
import { readJson, stageLayout } from "../core/layout.ts"
import { NonNegativeInt, PositiveInt, tasksSetting, slurmSetting } from "../core/settings.ts"
import { SHARD_ONLY, type PlannedFile, type StageDefinition, type StagePlan } from "../core/stage.ts"
import { byPosition, listInputFiles } from "./inputs.ts"
import { CodeSettings, PdfSettings, WatchdogSettings } from "./settings.ts"
import { DEFAULT_SPLIT_BYTES, splitLargeFiles } from "./split.ts"

export const IngestStage = Schema.Struct({
  stage: Schema.Literal("ingest"),
  tasks: tasksSetting,
  slurm: slurmSetting,
  min_chars: Schema.optionalKey(NonNegativeInt).annotate({ description: "Documents with fewer characters are filtered (default 1)" }),
  max_file_bytes: Schema.optionalKey(PositiveInt).annotate({
    description: "Files read whole (text, Markdown, PDF) above this size are rejected (default 256 MiB); JSONL is streamed"
  }),
  max_record_bytes: Schema.optionalKey(PositiveInt).annotate({ description: "JSONL lines above this size are rejected (default 64 MiB)" }),
  split_bytes: Schema.optionalKey(PositiveInt).annotate({
    description: "JSONL files (by extension) larger than this are cut at line boundaries into parts read by different tasks (default 128 MiB)"
  }),
  watchdog: Schema.optionalKey(WatchdogSettings),
  follow_links_outside_input: Schema.optionalKey(Schema.Boolean).annotate({
    description: "Follow symbolic links that lead outside the input folder they are found in (default false: they are rejected as link-outside-input)"
  }),
  pdf: Schema.optionalKey(PdfSettings),
  code: Schema.optionalKey(CodeSettings)
}).annotate({ title: "IngestStage", description: "Read input files and turn them into documents" })

/** The input entries of the ingest plan already in `dir`, if any (to reuse its JSONL splits). */
function previousFiles(dir: string): PlannedFile[] {
  const file = stageLayout(dir).planFile
  if (!fs.existsSync(file)) return []
  const plan = readJson<StagePlan>(file)
  return plan.input.kind === "files" ? plan.input.assignments.flat() : []
}

/** Largest file first to the task with the fewest bytes so far (ties: lowest rank); each task then reads in path order. */
export function assignBySize(files: ReadonlyArray<PlannedFile>, world: number): PlannedFile[][] {
  const tasks: PlannedFile[][] = Array.from({ length: world }, () => [])
  const load = new Array<number>(world).fill(0)
  const bySize = [...files].sort((a, b) => b.size - a.size || byPosition(a, b))
  for (const f of bySize) {
    let best = 0
    for (let r = 1; r < world; r++) if (load[r]! < load[best]!) best = r
    tasks[best]!.push(f)
    load[best]! += Math.max(f.size, 1)
  }
  for (const t of tasks) t.sort(byPosition)
  return tasks
}

/** JSONL parts are never cut smaller than this: below it, an uneven share costs nothing worth a cut. */
export const MIN_PART_BYTES = 1024 * 1024

/**
 * The size JSONL files are cut into: a task's fair share of all the input bytes, so that one large
 * file is spread over every task ("3 of the 4 tasks get 0 in" otherwise), at most `split_bytes`.
 */
export function partBytes(files: ReadonlyArray<PlannedFile>, world: number, splitBytes: number | undefined): number {
  const total = files.reduce((a, f) => a + (f.problem ? 0 : f.size), 0)
  return Math.min(splitBytes ?? DEFAULT_SPLIT_BYTES, Math.max(MIN_PART_BYTES, Math.ceil(total / world)))
}

export const ingestDefinition: StageDefinition = {
  name: "ingest",
  settings: IngestStage,
  reads: "files",
  needs: [],
  writes: { keeps: [], adds: DOCUMENT_COLUMN_NAMES },
  outputs: SHARD_ONLY,
  plan: (ctx) => {
    const listed = listInputFiles(ctx.inputs, ctx.file, [ctx.work, ctx.pipeline.output, ctx.dir], {
      followLinksOutsideInput: ctx.settings.follow_links_outside_input === true
    })
    if (listed instanceof ConfigError) return listed.message
    const files = splitLargeFiles(listed, partBytes(listed, ctx.world, ctx.settings.split_bytes as number | undefined), previousFiles(ctx.dir))
    // What the outputs depend on besides the settings: every input's place, size and time.
    const identity = files.map((f) => [f.sourcePath, f.absPath, f.size, f.mtimeMs ?? (f.problem ?? f.filter)?.reason ?? null, f.range?.start ?? 0, f.license, f.domain])
    return { params: ctx.settings, input: { kind: "files", assignments: assignBySize(files, ctx.world) }, identity }
  },
  cli: {
    description:
      "Turn files and folders into a dataset of document shards: papers (PDF), text and Markdown, JSONL, source code and notebooks, archives (tar, zip: members read like files), simulation outputs (LAMMPS, Quantum ESPRESSO, VASP, Gaussian, ORCA, GROMACS, ...), CSV/TSV tables, HDF5 and netCDF, also gzip/zstd/bzip2/xz-compressed (`scicurate formats` lists them all); what cannot be read is rejected with a reason in OUT/_rejects/",
    argument: ["paths", "Files and folders to ingest"]
  },
  runners: { ingest: async () => (await import("./stage.ts")).ingestStage }
}

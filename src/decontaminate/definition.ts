/**
 * The decontaminate stage, declared (see StageDefinition): documents that share long n-grams (13 words
 * by default, as in the GPT-3 and Llama reports) with evaluation sets are removed, or only the
 * overlapping passages cut; each removal names the evaluation set and item it matched. The sets (files
 * and sha256) go into the plan, so the bundle manifest can state what its bundle was decontaminated against.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { qualityStageDefinition } from "../quality/definition.ts"
import { PositiveInt, tasksSetting, slurmSetting } from "../core/settings.ts"
import { sha256Hex } from "../core/text.ts"
import { beforeTokenize } from "../quality/text-changes.ts"
import { parseEvalSet } from "./index.ts"
import { resolveEvalFiles, type PlannedEvalSet } from "./sets.ts"
import { DEFAULT_MIN_MATCHES, DEFAULT_REMOVE_ABOVE } from "./judge.ts"
import { DEFAULT_NGRAM } from "./ngrams.ts"

export const DecontaminateStage = Schema.Struct({
  stage: Schema.Literal("decontaminate"),
  tasks: tasksSetting,
  slurm: slurmSetting,
  against: Schema.Array(Schema.String).check(Schema.isMinLength(1)).annotate({
    description: "Evaluation sets: JSONL files or glob patterns (e.g. evals/*.jsonl), relative to the pipeline file"
  }),
  fields: Schema.Array(Schema.String).check(Schema.isMinLength(1)).annotate({
    description: "Fields of an evaluation item that hold its question and answer (dotted paths for nested fields; a list of texts counts line by line), e.g. [question, answer]"
  }),
  id_field: Schema.optionalKey(Schema.String).annotate({ description: "Field that names an item (default: its line number)" }),
  ngram: Schema.optionalKey(PositiveInt).annotate({ description: "Words per n-gram (default 13)" }),
  mode: Schema.optionalKey(Schema.Literals(["remove", "cut"])).annotate({
    description: "remove (default): the whole document goes; cut: only the overlapping passages (a document mostly made of them still goes)"
  }),
  min_matches: Schema.optionalKey(PositiveInt).annotate({ description: "Matching n-grams a document needs to count as contaminated (default 1)" }),
  remove_above: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1))).annotate({
    description: "In cut mode, a document with more than this share of its words in matched passages is removed whole (default 0.5)"
  })
}).annotate({ title: "DecontaminateStage", description: "Remove documents (or passages) that overlap evaluation sets by long n-grams" })

export const decontaminateDefinition = qualityStageDefinition({
  name: "decontaminate",
  settings: DecontaminateStage,
  why: "it compares documents' text with evaluation sets",
  plan: (ctx) => {
    const { against, ...rest } = ctx.settings as { against: string[]; mode?: string }
    if (rest.mode === "cut") {
      const problem = beforeTokenize(ctx, "decontaminate (mode cut)")
      if (problem) return problem
    }
    const files = resolveEvalFiles(against, ctx.base)
    if (typeof files === "string") return files
    const names = new Map<string, number>()
    const { fields, id_field } = rest as { fields: string[]; id_field?: string }
    let sets: PlannedEvalSet[]
    try {
      sets = files.map((file) => {
      const bytes = fs.readFileSync(file)
      const base = path.basename(file).replace(/\.jsonl?$/i, "")
      // Two sets of one name (evals/a/test.jsonl, evals/b/test.jsonl) are told apart by a number.
      const seen = names.get(base) ?? 0
      names.set(base, seen + 1)
      const name = seen === 0 ? base : `${base}-${seen + 1}`
      // Parsed now, so a missing field or a bad line stops the run before any task starts, naming file and line.
      const parsed = parseEvalSet(name, bytes.toString("utf8"), fields, id_field, file)
      return { name, file, sha256: sha256Hex(bytes), bytes: bytes.length, items: parsed.items.length }
      })
    } catch (e) {
      return `decontaminate: ${(e as Error).message}`
    }
    const p = rest as { mode?: string; ngram?: number; min_matches?: number; remove_above?: number }
    const ngram = p.ngram ?? DEFAULT_NGRAM
    const mode = p.mode ?? "remove"
    return {
      params: { ...rest, sets },
      provenance: {
        summary:
          `decontaminated against ${sets.map((s) => `${s.name} (${s.items} items, sha256 ${s.sha256.slice(0, 12)}…)`).join(", ")} ` +
          `by ${ngram}-word n-grams; ${mode === "cut" ? "overlapping passages cut (documents mostly made of them removed)" : "overlapping documents removed"}`,
        // Names and hashes, never absolute paths: the manifest must be the same on every machine.
        facts: {
          decontaminated_against: sets.map((s) => ({ name: s.name, sha256: s.sha256, items: s.items })),
          ngram,
          mode,
          min_matches: p.min_matches ?? DEFAULT_MIN_MATCHES,
          ...(mode === "cut" ? { remove_above: p.remove_above ?? DEFAULT_REMOVE_ABOVE } : {}),
          fields
        }
      }
    }
  },
  cli: {
    description: "Remove documents (or, with mode cut, passages) sharing long n-grams with evaluation sets; each removal names the set and item",
    argument: ["input", "Dataset folder of part-*.parquet shards"],
    flags: {
      against: "Evaluation set files or glob patterns, comma-separated (e.g. 'evals/*.jsonl')",
      fields: "Fields holding an item's question and answer, comma-separated (e.g. question,answer)",
      mode: "remove (default) or cut",
      id_field: "Field that names an evaluation item (default: its line number)"
    },
    listFlags: ["against", "fields"]
  },
  runner: async () => (await import("./stage.ts")).decontaminateStage
})

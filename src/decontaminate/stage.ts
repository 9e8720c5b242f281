/**
 * The decontaminate stage's tasks: the quality document stage (see quality/document-stage.ts) with a
 * judge over an index of the evaluation sets' n-grams, built once per task from the planned files (a
 * file that changed since it was planned stops the task: the plan's hash would no longer say what was used).
 */
import * as fs from "node:fs"
import { sha256Hex } from "../core/text.ts"
import { documentStage } from "../quality/document-stage.ts"
import type { PlannedEvalSet } from "./sets.ts"
import { buildEvalIndex, parseEvalSet } from "./index.ts"
import { judgeDecontaminate } from "./judge.ts"
import { DEFAULT_NGRAM } from "./ngrams.ts"

interface DecontaminateParams {
  readonly sets: ReadonlyArray<PlannedEvalSet>
  readonly fields: ReadonlyArray<string>
  readonly id_field?: string
  readonly ngram?: number
  readonly mode?: "remove" | "cut"
  readonly min_matches?: number
  readonly remove_above?: number
}

export const decontaminateStage = documentStage({
  name: "decontaminate",
  // In cut mode a document keeps going with passages cut: counted as noted:decontamination-cut, so the
  // stats (and the manifests' accounting) say how many documents lost text, not only how many went.
  notes: (verdict) => (verdict.keep && verdict.facts?.decontamination !== undefined ? { "decontamination-cut": 1 } : null),
  judge: (plan) => {
    const p = plan.params as unknown as DecontaminateParams
    const sets = p.sets.map((set) => {
      const bytes = fs.readFileSync(set.file)
      const now = sha256Hex(bytes)
      if (now !== set.sha256) throw new Error(`${set.file}: the evaluation set changed since the stage was planned (sha256 ${now}, planned ${set.sha256}); run again to plan anew`)
      return parseEvalSet(set.name, bytes.toString("utf8"), p.fields, p.id_field, set.file)
    })
    const index = buildEvalIndex(sets, p.ngram ?? DEFAULT_NGRAM)
    return judgeDecontaminate(index, {
      mode: p.mode ?? "remove",
      ...(p.min_matches !== undefined ? { min_matches: p.min_matches } : {}),
      ...(p.remove_above !== undefined ? { remove_above: p.remove_above } : {})
    })
  }
})

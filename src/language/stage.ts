/**
 * The language stage's tasks: the quality document stage (see quality/document-stage.ts) with the
 * detector's judge; a bundle with its own keep list gets a judge of its own.
 */
import type { BundleDefinition } from "../classify/definitions.ts"
import type { DocumentKind } from "../core/document.ts"
import type { Judge } from "../quality/document.ts"
import { bundleRouter } from "../quality/bundles.ts"
import { documentStage } from "../quality/document-stage.ts"
import { judgeLanguage, loadLanguageModel, type LanguageJudgeConfig } from "./detect.ts"

interface LanguageParams {
  readonly keep?: ReadonlyArray<string>
  readonly min_confidence?: number
  readonly foreign_min_confidence?: number
  readonly exempt_kinds?: ReadonlyArray<DocumentKind>
  readonly bundle_keep?: Readonly<Record<string, ReadonlyArray<string>>>
}

export const languageStage = documentStage({
  name: "language",
  judge: async (plan) => {
    // The fastText model (lid.176.ftz, shipped in the package) loads once per worker process.
    await loadLanguageModel()
    const { bundle_keep, ...config } = plan.params as LanguageParams
    return languageJudgeByBundle(config, bundle_keep ?? {})
  },
  router: (plan) => bundleRouter(plan.params.definitions as ReadonlyArray<BundleDefinition> | undefined)
})

/** The language judge of the pipeline's settings, with the keep list of the document's bundle where it has one (the model must be loaded). */
export function languageJudgeByBundle(config: LanguageJudgeConfig, bundleKeep: Readonly<Record<string, ReadonlyArray<string>>>): Judge {
  const pipelineJudge = judgeLanguage(config)
  const perBundle = new Map<string, Judge>(Object.entries(bundleKeep).map(([name, keep]) => [name, judgeLanguage({ ...config, keep })]))
  if (perBundle.size === 0) return pipelineJudge
  return (doc) => (perBundle.get(doc.bundle ?? "") ?? pipelineJudge)(doc)
}

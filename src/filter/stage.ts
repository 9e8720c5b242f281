/** The filter stage's tasks: the quality document stage (see quality/document-stage.ts) with the rules' judge. */
import type { BundleDefinition } from "../classify/definitions.ts"
import { bundleRouter } from "../quality/bundles.ts"
import { documentStage } from "../quality/document-stage.ts"
import { judgeFilter, resolveFilterConfig, type FilterConfig } from "./rules.ts"

export const filterStage = documentStage({
  name: "filter",
  judge: (plan) => {
    const resolved = resolveFilterConfig(plan.params.config as FilterConfig)
    if (typeof resolved === "string") throw new Error(resolved)
    return judgeFilter(resolved)
  },
  router: (plan) => bundleRouter(plan.params.definitions as ReadonlyArray<BundleDefinition> | undefined)
})

/** The pii stage's tasks: the quality document stage (see quality/document-stage.ts) with the redactor's judge. */
import { documentStage } from "../quality/document-stage.ts"
import type { PiiType } from "./redact.ts"
import { judgePii, piiNotes } from "./judge.ts"

export const piiStage = documentStage({
  name: "pii",
  judge: (plan) => judgePii({ ...(plan.params.types ? { types: plan.params.types as ReadonlyArray<PiiType> } : {}) }),
  // Every replacement is counted in the stats as noted:pii:<TYPE>, so a run says how much it redacted.
  notes: piiNotes
})

/** DALTON output, read by the DALTON_LOG parser (src/ingest/simulation/dalton.ts). */
import { programReader } from "../log-reader.ts"
import { DALTON_LOG } from "../simulation/dalton.ts"

export const daltonLogReader = programReader({
  program: DALTON_LOG,
  name: "DALTON",
  priority: 85,
  detectsOn: "DALTON banner",
  examples: ["dalton.out"]
})

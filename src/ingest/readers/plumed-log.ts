/** PLUMED output, read by the PLUMED_LOG parser (src/ingest/simulation/plumed.ts). */
import { programReader } from "../log-reader.ts"
import { PLUMED_LOG } from "../simulation/plumed.ts"

export const plumedLogReader = programReader({
  program: PLUMED_LOG,
  name: "PLUMED",
  priority: 97,
  detectsOn: "PLUMED: banner lines",
  examples: ["plumed.log"]
})

/** ORCA output, read by the ORCA_LOG parser (src/ingest/simulation/orca.ts). */
import { programReader } from "../log-reader.ts"
import { ORCA_LOG } from "../simulation/orca.ts"

export const orcaLogReader = programReader({
  program: ORCA_LOG,
  name: "ORCA",
  priority: 91,
  detectsOn: "O R C A banner",
  examples: ["orca.out"]
})

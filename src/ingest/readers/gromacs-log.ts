/** GROMACS output, read by the GROMACS_LOG parser (src/ingest/simulation/gromacs.ts). */
import { programReader } from "../log-reader.ts"
import { GROMACS_LOG } from "../simulation/gromacs.ts"

export const gromacsLogReader = programReader({
  program: GROMACS_LOG,
  name: "GROMACS",
  priority: 80,
  detectsOn: "GROMACS banner (:-) GROMACS ...)",
  examples: ["md.log"]
})

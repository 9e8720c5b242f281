/** Psi4 output, read by the PSI4_LOG parser (src/ingest/simulation/psi4.ts). */
import { programReader } from "../log-reader.ts"
import { PSI4_LOG } from "../simulation/psi4.ts"

export const psi4LogReader = programReader({
  program: PSI4_LOG,
  name: "Psi4",
  priority: 89,
  detectsOn: "Psi4 banner",
  examples: ["output.dat"]
})

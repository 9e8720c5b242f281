/** Q-Chem output, read by the QCHEM_LOG parser (src/ingest/simulation/qchem.ts). */
import { programReader } from "../log-reader.ts"
import { QCHEM_LOG } from "../simulation/qchem.ts"

export const qchemLogReader = programReader({
  program: QCHEM_LOG,
  name: "Q-Chem",
  priority: 86,
  detectsOn: "Welcome to Q-Chem banner",
  examples: ["qchem.out"]
})

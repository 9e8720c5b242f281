/** Quantum ESPRESSO ph.x output, read by the QE_PH parser (src/ingest/simulation/espresso.ts). */
import { programReader } from "../log-reader.ts"
import { QE_PH } from "../simulation/espresso.ts"

export const qePhReader = programReader({
  program: QE_PH,
  name: "Quantum ESPRESSO ph.x",
  priority: 95,
  detectsOn: '"Program PHONON" banner',
  examples: ["si.ph.out"]
})

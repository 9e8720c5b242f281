/** Quantum ESPRESSO pw.x output, read by the QE_PW parser (src/ingest/simulation/espresso.ts). */
import { programReader } from "../log-reader.ts"
import { QE_PW } from "../simulation/espresso.ts"

export const qePwReader = programReader({
  program: QE_PW,
  name: "Quantum ESPRESSO pw.x",
  priority: 96,
  detectsOn: '"Program PWSCF" banner',
  examples: ["si.scf.out", "relax.out"]
})

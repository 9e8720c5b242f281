/** Quantum ESPRESSO neb.x output, read by the QE_NEB parser (src/ingest/simulation/espresso.ts). */
import { programReader } from "../log-reader.ts"
import { QE_NEB } from "../simulation/espresso.ts"

export const qeNebReader = programReader({
  program: QE_NEB,
  name: "Quantum ESPRESSO neb.x",
  priority: 93,
  detectsOn: '"Program NEB" banner',
  examples: ["neb.out"]
})

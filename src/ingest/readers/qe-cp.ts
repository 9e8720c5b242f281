/** Quantum ESPRESSO cp.x output, read by the QE_CP parser (src/ingest/simulation/espresso.ts). */
import { programReader } from "../log-reader.ts"
import { QE_CP } from "../simulation/espresso.ts"

export const qeCpReader = programReader({
  program: QE_CP,
  name: "Quantum ESPRESSO cp.x",
  priority: 94,
  detectsOn: '"Program CP" banner',
  examples: ["h2o.cp.out"]
})

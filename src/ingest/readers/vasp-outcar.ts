/** VASP OUTCAR output, read by the VASP_OUTCAR parser (src/ingest/simulation/vasp.ts). */
import { programReader } from "../log-reader.ts"
import { VASP_OUTCAR } from "../simulation/vasp.ts"

export const vaspOutcarReader = programReader({
  program: VASP_OUTCAR,
  name: "VASP OUTCAR",
  priority: 82,
  detectsOn: "vasp.x.y.z version line, POTCAR lines",
  examples: ["OUTCAR"]
})

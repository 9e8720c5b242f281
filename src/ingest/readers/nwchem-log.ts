/** NWChem output, read by the NWCHEM_LOG parser (src/ingest/simulation/nwchem.ts). */
import { programReader } from "../log-reader.ts"
import { NWCHEM_LOG } from "../simulation/nwchem.ts"

export const nwchemLogReader = programReader({
  program: NWCHEM_LOG,
  name: "NWChem",
  priority: 90,
  detectsOn: "Northwest Computational Chemistry Package banner",
  examples: ["nwchem.out"]
})

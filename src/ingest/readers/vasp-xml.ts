/** VASP vasprun.xml output, read by the VASP_XML parser (src/ingest/simulation/vasp.ts). */
import { programReader } from "../log-reader.ts"
import { VASP_XML } from "../simulation/vasp.ts"

export const vaspXmlReader = programReader({
  program: VASP_XML,
  name: "VASP vasprun.xml",
  priority: 81,
  detectsOn: "<modeling> root with <generator> program vasp",
  examples: ["vasprun.xml"]
})

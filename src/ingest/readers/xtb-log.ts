/** xtb output, read by the XTB_LOG parser (src/ingest/simulation/xtb.ts). */
import { programReader } from "../log-reader.ts"
import { XTB_LOG } from "../simulation/xtb.ts"

export const xtbLogReader = programReader({
  program: XTB_LOG,
  name: "xtb",
  priority: 84,
  detectsOn: "x T B banner",
  examples: ["xtb.out"]
})

/** CP2K output, read by the CP2K_LOG parser (src/ingest/simulation/cp2k.ts). */
import { programReader } from "../log-reader.ts"
import { CP2K_LOG } from "../simulation/cp2k.ts"

export const cp2kLogReader = programReader({
  program: CP2K_LOG,
  name: "CP2K",
  priority: 83,
  detectsOn: "CP2K| header lines",
  examples: ["cp2k.out"]
})

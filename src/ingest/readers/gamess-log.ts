/** GAMESS/Firefly output, read by the GAMESS_LOG parser (src/ingest/simulation/gamess.ts). */
import { programReader } from "../log-reader.ts"
import { GAMESS_LOG } from "../simulation/gamess.ts"

export const gamessLogReader = programReader({
  program: GAMESS_LOG,
  name: "GAMESS/Firefly",
  priority: 88,
  detectsOn: "GAMESS or Firefly banner",
  examples: ["exam01.log"]
})

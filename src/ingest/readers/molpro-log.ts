/** Molpro output, read by the MOLPRO_LOG parser (src/ingest/simulation/molpro.ts). */
import { programReader } from "../log-reader.ts"
import { MOLPRO_LOG } from "../simulation/molpro.ts"

export const molproLogReader = programReader({
  program: MOLPRO_LOG,
  name: "Molpro",
  priority: 87,
  detectsOn: "PROGRAM SYSTEM MOLPRO banner",
  examples: ["h2o.out"]
})

/** LAMMPS dump output, read by the LAMMPS_DUMP parser (src/ingest/simulation/lammps.ts). */
import { programReader } from "../log-reader.ts"
import { LAMMPS_DUMP } from "../simulation/lammps.ts"

export const lammpsDumpReader = programReader({
  program: LAMMPS_DUMP,
  name: "LAMMPS dump",
  priority: 100,
  detectsOn: "ITEM: TIMESTEP / ITEM: ATOMS headers",
  examples: ["dump.lammpstrj", "dump.atom"]
})

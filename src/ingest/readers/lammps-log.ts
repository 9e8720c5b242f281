/** LAMMPS log output, read by the LAMMPS_LOG parser (src/ingest/simulation/lammps.ts). */
import { programReader } from "../log-reader.ts"
import { LAMMPS_LOG } from "../simulation/lammps.ts"

export const lammpsLogReader = programReader({
  program: LAMMPS_LOG,
  name: "LAMMPS log",
  priority: 99,
  detectsOn: "LAMMPS banner, thermo headers (Step Temp PotEng)",
  examples: ["log.lammps", "in.melt.screen"]
})

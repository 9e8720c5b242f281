/** LAMMPS fix phonon output, read by the LAMMPS_PHONON parser (src/ingest/simulation/lammps.ts). */
import { programReader } from "../log-reader.ts"
import { LAMMPS_PHONON } from "../simulation/lammps.ts"

export const lammpsPhononReader = programReader({
  program: LAMMPS_PHONON,
  name: "LAMMPS fix phonon",
  priority: 98,
  detectsOn: "fix-phonon header and dynamical-matrix blocks",
  examples: ["phonon.log", "fix_phonon.bin.log"]
})

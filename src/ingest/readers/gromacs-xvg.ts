/** GROMACS xvg output, read by the GROMACS_XVG parser (src/ingest/simulation/gromacs.ts). */
import { programReader } from "../log-reader.ts"
import { GROMACS_XVG } from "../simulation/gromacs.ts"

export const gromacsXvgReader = programReader({
  program: GROMACS_XVG,
  name: "GROMACS xvg",
  priority: 79,
  detectsOn: "xmgrace @ lines written by gmx",
  examples: ["energy.xvg", "rmsd.xvg"]
})

/**
 * Content-based recognition of simulation text outputs. Every program scores the first ~64 KiB of a
 * file (decoded as text) from its banners and signature lines; the best score of at least 0.5 wins.
 * File names play no part. `GENERIC_LOG` is not in the list: it is the fallback for text that looks
 * like a log (its `detect` returns at most 0.45) when no program claims it.
 */
import { CP2K_LOG } from "./cp2k.ts"
import { DALTON_LOG } from "./dalton.ts"
import { QE_CP, QE_NEB, QE_PH, QE_PW } from "./espresso.ts"
import { GAMESS_LOG } from "./gamess.ts"
import { GAUSSIAN_LOG } from "./gaussian.ts"
import { GENERIC_LOG, looksLikeLog } from "./generic.ts"
import { GROMACS_LOG, GROMACS_XVG } from "./gromacs.ts"
import { LAMMPS_DUMP, LAMMPS_LOG, LAMMPS_PHONON } from "./lammps.ts"
import { MOLPRO_LOG } from "./molpro.ts"
import { NWCHEM_LOG } from "./nwchem.ts"
import { ORCA_LOG } from "./orca.ts"
import { PLUMED_LOG } from "./plumed.ts"
import { PSI4_LOG } from "./psi4.ts"
import { QCHEM_LOG } from "./qchem.ts"
import type { LogProgram, LogReader, SimulationDocument } from "./types.ts"
import { VASP_OUTCAR, VASP_XML } from "./vasp.ts"
import { XTB_LOG } from "./xtb.ts"

export { GENERIC_LOG, looksLikeLog }

/** How many leading characters `detect` is meant to see. */
export const DETECT_HEAD_CHARS = 64 * 1024

/** All specific programs, in tie-break order (earlier wins on equal scores). */
export const LOG_PROGRAMS: ReadonlyArray<LogProgram> = [
  LAMMPS_DUMP,
  LAMMPS_LOG,
  LAMMPS_PHONON,
  PLUMED_LOG,
  QE_PW,
  QE_PH,
  QE_CP,
  QE_NEB,
  GAUSSIAN_LOG,
  ORCA_LOG,
  NWCHEM_LOG,
  PSI4_LOG,
  GAMESS_LOG,
  MOLPRO_LOG,
  QCHEM_LOG,
  DALTON_LOG,
  XTB_LOG,
  CP2K_LOG,
  VASP_OUTCAR,
  VASP_XML,
  GROMACS_LOG,
  GROMACS_XVG
]

/** Every program's score for `head`, best first (for diagnostics and tests). */
export function scoreLogPrograms(head: string): Array<{ format: string; score: number }> {
  const h = head.length > DETECT_HEAD_CHARS ? head.slice(0, DETECT_HEAD_CHARS) : head
  return LOG_PROGRAMS.map((p) => ({ format: p.format, score: p.detect(h) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score)
}

/** The program that most likely wrote a file starting with `head`, or null (score below 0.5). */
export function detectLogProgram(head: string): LogProgram | null {
  const h = head.length > DETECT_HEAD_CHARS ? head.slice(0, DETECT_HEAD_CHARS) : head
  let best: LogProgram | null = null
  let bestScore = 0
  for (const p of LOG_PROGRAMS) {
    const s = p.detect(h)
    if (s > bestScore) {
      best = p
      bestScore = s
    }
  }
  return bestScore >= 0.5 ? best : null
}

/**
 * Convenience for callers holding the whole text (tests, small files): detect, feed every line and
 * render. Large files should be streamed line by line into `program.create()` instead.
 */
export function readLogText(text: string, program: LogProgram | null = detectLogProgram(text.slice(0, DETECT_HEAD_CHARS))): SimulationDocument {
  const reader: LogReader = (program ?? GENERIC_LOG).create()
  let start = 0
  while (start <= text.length) {
    const nl = text.indexOf("\n", start)
    if (nl < 0) {
      if (start < text.length) reader.feed(text.slice(start))
      break
    }
    reader.feed(text.slice(start, nl))
    start = nl + 1
  }
  return reader.finish()
}

/**
 * Shared types of the simulation-output readers: a text log is fed line by line to a `LogReader`
 * created by the `LogProgram` whose `detect` recognised its first bytes, and rendered into a
 * `SimulationDocument` (training text plus structured metadata).
 */

export interface SimulationDocument {
  /** Producing program, e.g. "LAMMPS", "Quantum ESPRESSO", "Gaussian", "ORCA", ... or "generic". */
  readonly program: string
  /**
   * Stable format id, e.g. "lammps-log", "lammps-dump", "qe-pw", "qe-ph", "qe-cp", "qe-neb",
   * "gaussian-log", "orca-log", "nwchem-log", "psi4-log", "gamess-log", "molpro-log", "qchem-log",
   * "dalton-log", "xtb-log", "cp2k-log", "vasp-outcar", "vasp-xml", "gromacs-log", "gromacs-xvg",
   * "plumed-log", "text-log".
   */
  readonly format: string
  readonly title: string | null
  /** The rendered training document (Markdown-ish plain text). */
  readonly text: string
  /**
   * Program, version, method, basis, functional, system {formula, atoms, cell}, key parameters,
   * convergence, results with units, warnings, errors; numbers as numbers.
   */
  readonly metadata: Record<string, unknown>
}

/** Consumes a text log line by line with bounded memory, then renders it. */
export interface LogReader {
  feed(line: string): void
  finish(): SimulationDocument
}

export interface LogProgram {
  readonly format: string
  /** 0..1: how sure we are that a file whose first ~64 KiB (as text) is `head` was written by this program. */
  detect(head: string): number
  create(): LogReader
}

/**
 * Thrown by a streaming reader that finds, part-way, that its input must be refused as a whole (an XML
 * file declaring entities): the caller turns it into a Rejected item with this reason.
 */
export class InputRejected extends Error {
  readonly reason: string
  readonly detail: string
  constructor(reason: string, detail: string) {
    super(`${reason}: ${detail}`)
    this.reason = reason
    this.detail = detail
  }
}

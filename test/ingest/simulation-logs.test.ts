/**
 * Simulation text outputs: detection by content, rendering into training documents, bounded memory and
 * size, determinism. Real files come from the shared corpus (never copied into the repository; the
 * tests that need it skip, loudly, when it is absent). CP2K, VASP and GROMACS have no corpus sample:
 * they are tested on small synthetic snippets written from the documented formats.
 *
 * Golden documents for one file per program live in test/golden/simulation/. After a deliberate change
 * to the rendering, regenerate them with `UPDATE_GOLDEN=1 npx vitest run test/ingest/simulation-logs.test.ts`
 * and review the diff by eye.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { DETECT_HEAD_CHARS, detectLogProgram, GENERIC_LOG, LOG_PROGRAMS, readLogText, scoreLogPrograms } from "../../src/ingest/simulation/detect.ts"
import { DocBuilder, elementFromLabel, hillFormula, MAX_DOC_CHARS, RowSampler, Series } from "../../src/ingest/simulation/render.ts"
import type { LogProgram, SimulationDocument } from "../../src/ingest/simulation/types.ts"
import { expectGolden } from "../helpers.ts"
import { corpusRoot, hasCorpus, repoRoot } from "./support.ts"

const simDir = path.join(corpusRoot, "simulation")
const goldenDir = path.join(repoRoot, "test/golden/simulation")

if (!hasCorpus) console.warn(`[scicurate] ${corpusRoot} not found: skipping the simulation-log corpus tests (detection, golden documents, MB/s)`)

/** What SOURCES.md says each text file of corpus/simulation is, as (format, program). */
const EXPECTED: Record<string, { format: string; program: string; sources: RegExp }> = {
  "fep01-lj.out": { format: "lammps-log", program: "LAMMPS", sources: /LAMMPS .*screen output/ },
  "screen.5Oct16.prd.g++.4.0": { format: "lammps-log", program: "LAMMPS", sources: /LAMMPS .*screen output/ },
  "cb_biaxial.screen": { format: "lammps-log", program: "LAMMPS", sources: /LAMMPS .*screen output/ },
  "out.polymer_default_gamma": { format: "lammps-log", program: "LAMMPS", sources: /LAMMPS .*output/ },
  "Graphene.log": { format: "lammps-phonon", program: "LAMMPS", sources: /LAMMPS fix phonon log/ },
  "plumed_p.log": { format: "plumed-log", program: "PLUMED", sources: /PLUMED .*log/ },
  "dump.meoh": { format: "lammps-dump", program: "LAMMPS", sources: /LAMMPS text dump/ },
  "si.scf.cg.out": { format: "qe-pw", program: "Quantum ESPRESSO", sources: /Quantum ESPRESSO pw\.x/ },
  "ni.scf.david.out": { format: "qe-pw", program: "Quantum ESPRESSO", sources: /Quantum ESPRESSO pw\.x/ },
  "si.md2.out": { format: "qe-pw", program: "Quantum ESPRESSO", sources: /Quantum ESPRESSO pw\.x/ },
  "As.vcs00.out": { format: "qe-pw", program: "Quantum ESPRESSO", sources: /Quantum ESPRESSO pw\.x/ },
  "sio2.cp.start.out": { format: "qe-cp", program: "Quantum ESPRESSO", sources: /Quantum ESPRESSO cp\.x/ },
  "alas.ph.out": { format: "qe-ph", program: "Quantum ESPRESSO", sources: /Quantum ESPRESSO ph\.x/ },
  "H2+H.out": { format: "qe-neb", program: "Quantum ESPRESSO", sources: /Quantum ESPRESSO neb\.x/ },
  "gaussian09_dvb_ir.out": { format: "gaussian-log", program: "Gaussian", sources: /Gaussian 09/ },
  "orca5_dvb_ir.out": { format: "orca-log", program: "ORCA", sources: /ORCA 5/ },
  "nwchem6_water_ccsd_t.out": { format: "nwchem-log", program: "NWChem", sources: /NWChem 6/ },
  "psi4_water_mp2.out": { format: "psi4-log", program: "Psi4", sources: /Psi4 1\.2/ },
  "firefly8_water_mp2.out": { format: "gamess-log", program: "Firefly", sources: /Firefly 8\.0 \(GAMESS-US derivative\)/ },
  "molpro2006_h2o_mp2.out": { format: "molpro-log", program: "Molpro", sources: /Molpro 2006/ },
  "qchem5_water_cis.out": { format: "qchem-log", program: "Q-Chem", sources: /Q-Chem 5\.1/ },
  "dalton2013_water_ccsdt.out": { format: "dalton-log", program: "DALTON", sources: /DALTON 2013/ },
  "xtb6_dvb_opt.out": { format: "xtb-log", program: "xtb", sources: /xtb 6\.6/ }
}

/** Files of corpus/simulation that are not text logs (tables and arrays, read by other readers). */
const NOT_LOGS = /\.(nc|h5|hdf5|csv)$/

/** One file per program (and per QE executable) whose rendering is kept as a reviewed golden document. */
const GOLDEN = [
  "fep01-lj.out",
  "dump.meoh",
  "Graphene.log",
  "plumed_p.log",
  "si.scf.cg.out",
  "As.vcs00.out",
  "alas.ph.out",
  "sio2.cp.start.out",
  "H2+H.out",
  "gaussian09_dvb_ir.out",
  "orca5_dvb_ir.out",
  "nwchem6_water_ccsd_t.out",
  "psi4_water_mp2.out",
  "firefly8_water_mp2.out",
  "molpro2006_h2o_mp2.out",
  "qchem5_water_cis.out",
  "dalton2013_water_ccsdt.out",
  "xtb6_dvb_opt.out"
]

function headOf(text: string): string {
  return text.slice(0, DETECT_HEAD_CHARS)
}

/** Feed a text line by line, as the ingest stage does with a stream. */
function render(program: LogProgram, text: string): SimulationDocument {
  return readLogText(text, program)
}

function sourcesTable(): Map<string, string> {
  const rows = new Map<string, string>()
  let inSim = false
  for (const line of readFileSync(path.join(corpusRoot, "SOURCES.md"), "utf8").split("\n")) {
    if (line.startsWith("## ")) inSim = line.startsWith("## simulation/")
    const m = /^\| `([^`]+)` \|[^|]*\|[^|]*\| ([^|]*) \|/.exec(line)
    if (inSim && m !== null) rows.set(m[1]!, m[2]!)
  }
  return rows
}

// ---------------------------------------------------------------------------------------------------

describe.skipIf(!hasCorpus)("simulation logs in the shared corpus: detection by content", () => {
  const files = hasCorpus ? readdirSync(simDir).sort() : []

  it("has an expected program for every text file, matching its SOURCES.md description", () => {
    const sources = sourcesTable()
    for (const f of files) {
      if (NOT_LOGS.test(f)) continue
      const e = EXPECTED[f]
      expect(e, `${f} is a new text file of corpus/simulation: add it to EXPECTED`).toBeDefined()
      expect(sources.get(f), `${f} has no SOURCES.md row`).toBeDefined()
      expect(sources.get(f)!).toMatch(e!.sources)
    }
    for (const f of Object.keys(EXPECTED)) expect(files, `${f} is expected but missing from the corpus`).toContain(f)
  })

  it.each(Object.entries(EXPECTED))("detects %s from its content alone", (file, e) => {
    const text = readFileSync(path.join(simDir, file), "utf8")
    // The API sees only content: a renamed copy (e.g. "data.txt") is detected the same way.
    const p = detectLogProgram(headOf(text))
    expect(p?.format).toBe(e.format)
    // Also from a short head (8 KiB, what a sniffer typically reads), and the winner is unambiguous.
    expect(detectLogProgram(text.slice(0, 8192))?.format).toBe(e.format)
    const scores = scoreLogPrograms(headOf(text))
    expect(scores[0]!.format).toBe(e.format)
    if (scores[1] !== undefined) expect(scores[1].score).toBeLessThan(0.5)
    const doc = render(p!, text)
    expect(doc.format).toBe(e.format)
    expect(doc.program).toBe(e.program)
    expect(doc.metadata.program).toBe(e.program)
    expect(doc.text.length).toBeGreaterThan(500)
    expect(doc.text.length).toBeLessThanOrEqual(MAX_DOC_CHARS)
  })

  it("claims none of the tables and binary arrays", () => {
    for (const f of files.filter((x) => NOT_LOGS.test(x))) {
      const head = readFileSync(path.join(simDir, f)).subarray(0, DETECT_HEAD_CHARS).toString("utf8")
      expect(detectLogProgram(head), f).toBeNull()
    }
  })

  it("renders the same document twice (determinism)", () => {
    for (const f of Object.keys(EXPECTED)) {
      const text = readFileSync(path.join(simDir, f), "utf8")
      const p = detectLogProgram(headOf(text))!
      const a = render(p, text)
      const b = render(p, text)
      expect(b.text).toBe(a.text)
      expect(JSON.stringify(b.metadata)).toBe(JSON.stringify(a.metadata))
    }
  })

  it("survives truncated copies of every log, and reads CRLF and LF line ends alike", () => {
    for (const f of Object.keys(EXPECTED)) {
      const text = readFileSync(path.join(simDir, f), "utf8").replace(/\r\n/g, "\n")
      const p = detectLogProgram(headOf(text))!
      const half = render(p, text.slice(0, Math.floor(text.length / 2)))
      expect(half.format).toBe(EXPECTED[f]!.format)
      const crlf = render(p, text.replace(/\n/g, "\r\n"))
      expect(crlf.text).toBe(render(p, text).text)
    }
  })

  it("reads the corpus logs at a useful speed (MB/s printed)", () => {
    let bytes = 0
    let ms = 0
    const per: string[] = []
    for (const f of Object.keys(EXPECTED)) {
      const text = readFileSync(path.join(simDir, f), "utf8")
      const p = detectLogProgram(headOf(text))!
      render(p, text) // warm-up
      const t0 = performance.now()
      const reps = 3
      for (let i = 0; i < reps; i++) render(p, text)
      const dt = (performance.now() - t0) / reps
      bytes += text.length
      ms += dt
      per.push(`${f} ${(text.length / 1e6 / (dt / 1000)).toFixed(1)}`)
    }
    const mbs = bytes / 1e6 / (ms / 1000)
    console.log(`[simulation logs] ${(bytes / 1e6).toFixed(2)} MB of corpus logs at ${mbs.toFixed(1)} MB/s (per file MB/s: ${per.join(", ")})`)
    expect(mbs).toBeGreaterThan(2)
  })
})

describe.skipIf(!hasCorpus)("simulation logs: golden documents (one per program)", () => {
  it.each(GOLDEN)("%s renders as its reviewed golden document", (file) => {
    const text = readFileSync(path.join(simDir, file), "utf8")
    const doc = render(detectLogProgram(headOf(text))!, text)
    const md = path.join(goldenDir, `${file}.md`)
    const js = path.join(goldenDir, `${file}.json`)
    const meta = `${JSON.stringify({ program: doc.program, format: doc.format, title: doc.title, metadata: doc.metadata }, null, 1)}\n`
    expectGolden(md, doc.text)
    expectGolden(js, meta)
  })

  it("puts the key facts of each program into text and metadata", () => {
    const get = (f: string): SimulationDocument => {
      const text = readFileSync(path.join(simDir, f), "utf8")
      return render(detectLogProgram(headOf(text))!, text)
    }
    const g = get("gaussian09_dvb_ir.out")
    expect(g.text).toContain("Gaussian 09 (Revision D.01) calculation on C10H10 (20 atoms)")
    expect(g.text).toContain("B3LYP/STO-3G")
    expect(g.text).toContain("54 vibrational frequencies")
    expect(g.text).toMatch(/strongest IR bands.*3397\.8 \(98\.37\)/)
    expect(g.metadata).toMatchObject({ basis: "STO-3G", system: { formula: "C10H10", atoms: 20 }, results: { frequencies: { count: 54, imaginary: 0 } } })
    expect((g.metadata.results as { energies: Record<string, { value: number }> }).energies["SCF energy"]!.value).toBeCloseTo(-382.30826658, 8)

    const l = get("fep01-lj.out")
    expect(l.text).toContain("1,800 atoms")
    expect(l.text).toContain("Units: real")
    expect(l.text).toContain("PPPM")
    expect(l.text).toMatch(/\| Temp \(K\) \| 300 \|/)
    expect(l.metadata).toMatchObject({ units: "real", runs: { count: 2, totalSteps: 2100000 } })

    const pw = get("si.scf.cg.out")
    expect(pw.text).toContain("-15.84452726 Ry")
    expect(pw.text).toContain("convergence threshold")
    expect(pw.metadata).toMatchObject({ calculation: "scf", system: { formula: "Si2" }, results: { totalEnergy: { value: -15.84452726, unit: "Ry" } } })

    const ph = get("alas.ph.out")
    expect(ph.text).toMatch(/375\.541/)
    expect(ph.metadata).toMatchObject({ results: { qpointsComputed: 8 } })

    const neb = get("H2+H.out")
    expect(neb.metadata).toMatchObject({ results: { activationEnergyForward: { value: 0.204267, unit: "eV" } } })

    const dump = get("dump.meoh")
    expect(dump.metadata).toMatchObject({ snapshots: 20, atoms: 1000 })
    expect((dump.metadata.columnStats as Record<string, { count: number }>).x!.count).toBe(20_000)

    const q = get("qchem5_water_cis.out")
    expect(q.metadata).toMatchObject({ results: { excitedStates: { count: 10 } } })
    const x = get("xtb6_dvb_opt.out")
    expect(x.metadata).toMatchObject({ method: "GFN2-xTB", convergence: { optimization: { steps: 6, converged: true } } })
  })
})

// ---------------------------------------------------------------------------------------------------
// Programs without a corpus sample: synthetic snippets in the documented formats.

const CP2K = `
 DBCSR| CPU Multiplication driver                                           XSMM

  **** **** ******  **  PROGRAM STARTED AT               2023-03-01 12:00:00.000
 ***** ** ***  *** **   PROGRAM STARTED ON                                node01

 CP2K| version string:                                        CP2K version 2023.1
 CP2K| source code revision number:                                  git:ab12cd3

 GLOBAL| Method name                                                        CP2K
 GLOBAL| Project name                                                        H2O
 GLOBAL| Run type                                                          GEO_OPT

 CELL| Volume [angstrom^3]:                                             1000.000
 CELL| Vector a [angstrom]:      10.000     0.000     0.000    |a| =      10.000
 CELL| Vector b [angstrom]:       0.000    10.000     0.000    |b| =      10.000
 CELL| Vector c [angstrom]:       0.000     0.000    10.000    |c| =      10.000

 DFT| Spin restricted Kohn-Sham (RKS) calculation                            RKS
 DFT| Multiplicity                                                             1
 DFT| Charge                                                                   0

 FUNCTIONAL| ROUTINE=NEW
 FUNCTIONAL| PBE:
 FUNCTIONAL| J.P.Perdew, K.Burke, M.Ernzerhof, Phys. Rev. Letter, vol. 77, n 18,

 QS| Method:                                                                 GPW

 Atomic kind: O                                  Number of atoms:       1
   Orbital Basis Set                                      DZVP-MOLOPT-SR-GTH
   GTH Potential information for                                    GTH-PBE-q6
 Atomic kind: H                                  Number of atoms:       2
   Orbital Basis Set                                      DZVP-MOLOPT-SR-GTH
   GTH Potential information for                                    GTH-PBE-q1

  Total number of            - Atomic kinds:                                   2
                             - Atoms:                                          3

 MODULE QUICKSTEP:  ATOMIC COORDINATES IN angstrom

  Atom  Kind  Element       X           Y           Z          Z(eff)       Mass

       1     1 O    8    0.000000    0.000000    0.119262      6.00      15.9994
       2     2 H    1    0.000000    0.763239   -0.477047      1.00       1.0079
       3     2 H    1    0.000000   -0.763239   -0.477047      1.00       1.0079

 Number of electrons:                                                          8
 Number of orbital functions:                                                 23

  *** SCF run converged in    10 steps ***

 ENERGY| Total FORCE_EVAL ( QS ) energy [a.u.]:              -17.220512515623840

 --------  Informations at step =     1 ------------
  *** SCF run converged in     6 steps ***
 ENERGY| Total FORCE_EVAL ( QS ) energy [a.u.]:              -17.221020934812345

 ***                    GEOMETRY OPTIMIZATION COMPLETED                      ***

 *** WARNING in qs_scf.F:542 :: SCF run did not converge fully in restart ***

 CP2K                                 1  1.0    0.011    0.011   12.345   12.345

  **** **** ******  **  PROGRAM ENDED AT                 2023-03-01 12:00:12.345
`

const OUTCAR = `
 vasp.6.3.0 18Jan22 (build Feb 10 2022 11:44:15) complex
 executed on             LinuxIFC date 2023.03.01  12:00:00
 running on    4 total cores
 POTCAR:    PAW_PBE Si 05Jan2001
 POTCAR:    PAW_PBE Si 05Jan2001
   TITEL  = PAW_PBE Si 05Jan2001
   ions per type =               2
   k-points           NKPTS =     10   k-points in BZ     NKDIM =     10   number of bands    NBANDS=      8
   ENCUT  =  400.0 eV  29.40 Ry    5.42 a.u.  11.42 11.42 11.42*2*pi/ulx,y,z
   EDIFF  = 0.1E-05   stopping-criterion for ELM
   IBRION =      2    ionic relax: 0-MD 1-quasi-New 2-CG
   NSW    =     10    number of steps for IOM
   ISMEAR =     0;   SIGMA  =   0.05 broadening in eV -4-tet -1-fermi 0-gaus
   GGA    =    PE    GGA type
  direct lattice vectors                 reciprocal lattice vectors
     0.000000000  2.734364000  2.734364000    -0.182857203  0.182857203  0.182857203
     2.734364000  0.000000000  2.734364000     0.182857203 -0.182857203  0.182857203
     2.734364000  2.734364000  0.000000000     0.182857203  0.182857203 -0.182857203
  volume of cell :       40.89
--------------------------------------- Iteration      1(   1)  ---------------------------------------
--------------------------------------- Iteration      1(   2)  ---------------------------------------
  free  energy   TOTEN  =       -10.84384598 eV
  energy  without entropy=      -10.84384598  energy(sigma->0) =      -10.84384598
 E-fermi :   5.6543     XC(G=0): -11.0345     alpha+bet :-10.6203
 POSITION                                       TOTAL-FORCE (eV/Angst)
 -----------------------------------------------------------------------------------
      0.00000      0.00000      0.00000         0.012000      0.000000      0.000000
      1.36718      1.36718      1.36718        -0.012000     -0.000000     -0.000000
 -----------------------------------------------------------------------------------
  external pressure =       -5.12 kB  Pullay stress =        0.00 kB
--------------------------------------- Iteration      2(   1)  ---------------------------------------
  free  energy   TOTEN  =       -10.84391000 eV
  energy  without entropy=      -10.84391000  energy(sigma->0) =      -10.84391000
  external pressure =       -0.42 kB  Pullay stress =        0.00 kB
 reached required accuracy - stopping structural energy minimisation
                  Total CPU time used (sec):       12.345
                         Elapsed time (sec):       13.456
`

const VASPRUN = `<?xml version="1.0" encoding="ISO-8859-1"?>
<modeling>
 <generator>
  <i name="program" type="string">vasp </i>
  <i name="version" type="string">6.3.0  </i>
 </generator>
 <incar>
  <i name="ENCUT">    400.00000000</i>
  <i type="int" name="IBRION">     2</i>
  <i type="int" name="NSW">    10</i>
  <i type="string" name="GGA">PE</i>
 </incar>
 <kpoints>
  <generation param="Monkhorst-Pack">
   <v type="int" name="divisions">       8        8        8 </v>
  </generation>
 </kpoints>
 <atominfo>
  <atoms>       2 </atoms>
  <array name="atoms" >
   <set>
    <rc><c>Si</c><c>   1</c></rc>
    <rc><c>Si</c><c>   1</c></rc>
   </set>
  </array>
  <array name="atomtypes" >
   <set>
    <rc><c>   2</c><c>Si</c><c>     28.08500000</c><c>      4.00000000</c><c>  PAW_PBE Si 05Jan2001 </c></rc>
   </set>
  </array>
 </atominfo>
 <calculation>
  <scstep>
   <energy>
    <i name="e_0_energy">    -10.80000000 </i>
   </energy>
  </scstep>
  <energy>
   <i name="e_fr_energy">    -10.84384598 </i>
   <i name="e_0_energy">    -10.84384598 </i>
  </energy>
 </calculation>
 <calculation>
  <scstep>
   <energy>
    <i name="e_0_energy">    -10.84391000 </i>
   </energy>
  </scstep>
  <energy>
   <i name="e_fr_energy">    -10.84391000 </i>
   <i name="e_0_energy">    -10.84391000 </i>
  </energy>
 </calculation>
 <structure name="finalpos" >
  <crystal>
   <varray name="basis" >
    <v>       0.00000000       2.73000000       2.73000000 </v>
    <v>       2.73000000       0.00000000       2.73000000 </v>
    <v>       2.73000000       2.73000000       0.00000000 </v>
   </varray>
   <i name="volume">     40.69223400 </i>
  </crystal>
 </structure>
 <dos>
  <i name="efermi">      5.65430000 </i>
 </dos>
</modeling>
`

const MDLOG = `                      :-) GROMACS - gmx mdrun, 2021.4 (-:

GROMACS:      gmx mdrun, version 2021.4
Command line:
  gmx mdrun -deffnm md

GROMACS version:    2021.4
Precision:          mixed

Input Parameters:
   integrator                     = md
   dt                             = 0.002
   nsteps                         = 50000
   coulombtype                    = PME
   rcoulomb                       = 1
   vdwtype                        = Cut-off
   rvdw                           = 1
   tcoupl                         = V-rescale
   pcoupl                         = Parrinello-Rahman
grpopts:
   ref-t:         300

There are: 6495 Atoms

Started mdrun on rank 0 Mon Jan 10 10:00:00 2022

           Step           Time
              0        0.00000

   Energies (kJ/mol)
          Angle    Proper Dih. Ryckaert-Bell.          LJ-14     Coulomb-14
    9.74139e+03    5.93460e+02    3.98480e+03    2.82970e+03    2.78680e+04
      Potential    Kinetic En.   Total Energy    Temperature Pressure (bar)
   -4.69210e+05    8.34710e+04   -3.85739e+05    2.99458e+02   -4.53271e+02

           Step           Time
          50000      100.00000

   Energies (kJ/mol)
          Angle    Proper Dih. Ryckaert-Bell.          LJ-14     Coulomb-14
    9.80139e+03    5.90460e+02    3.97480e+03    2.83970e+03    2.78180e+04
      Potential    Kinetic En.   Total Energy    Temperature Pressure (bar)
   -4.70010e+05    8.36710e+04   -3.86339e+05    3.00175e+02    1.23456e+01

        <====  A V E R A G E S  ====>

        Statistics over 50001 steps using 501 frames

   Energies (kJ/mol)
          Angle    Proper Dih. Ryckaert-Bell.          LJ-14     Coulomb-14
    9.77139e+03    5.92460e+02    3.97980e+03    2.83470e+03    2.78430e+04
      Potential    Kinetic En.   Total Energy    Temperature Pressure (bar)
   -4.69610e+05    8.35710e+04   -3.86039e+05    2.99816e+02   -1.02345e+01

               Core t (s)   Wall t (s)        (%)
       Time:     1234.567      102.890     1200.0
                 (ns/day)    (hour/ns)
Performance:       83.984        0.286

Finished mdrun on rank 0 Mon Jan 10 10:01:43 2022
`

const XVG = `# This file was created Mon Jan 10 10:05:00 2022
# Created by:
#                      :-) GROMACS - gmx energy, 2021.4 (-:
# Command line:
#   gmx energy -f ener.edr -o energy.xvg
@    title "GROMACS Energies"
@    xaxis  label "Time (ps)"
@    yaxis  label "(kJ/mol), (K)"
@TYPE xy
@ s0 legend "Potential"
@ s1 legend "Temperature"
    0.000000  -469210.375000  299.458
   20.000000  -469810.250000  300.101
   40.000000  -470010.125000  299.812
   60.000000  -469900.000000  300.333
   80.000000  -470110.500000  299.001
  100.000000  -470010.000000  300.175
`

describe("synthetic snippets of programs without a corpus sample", () => {
  it("CP2K: run type, DFT settings, kinds, geometry, SCF and optimisation", () => {
    expect(detectLogProgram(CP2K)?.format).toBe("cp2k-log")
    const d = readLogText(CP2K)
    expect(d.program).toBe("CP2K")
    expect(d.title).toBe("CP2K 2023.1: H2O, DFT PBE (GPW)/DZVP-MOLOPT-SR-GTH, opt")
    expect(d.text).toContain("Final total FORCE_EVAL energy: -17.22102093 Hartree")
    expect(d.text).toContain("GTH-PBE-q6")
    expect(d.text).toContain("SCF run did not converge fully")
    expect(d.metadata).toMatchObject({ program: "CP2K", version: "2023.1", reference: "RKS", functional: "PBE", system: { formula: "H2O", atoms: 3, charge: 0, multiplicity: 1 }, convergence: { optimization: { converged: true } }, runType: "GEO_OPT", termination: "normal" })
  })

  it("VASP OUTCAR: species, parameters, lattice, energies, forces, pressure, relaxation", () => {
    expect(detectLogProgram(OUTCAR)?.format).toBe("vasp-outcar")
    const d = readLogText(OUTCAR)
    expect(d.program).toBe("VASP")
    expect(d.text).toContain("VASP 6.3.0 ionic relaxation (conjugate gradient) on Si2 (2 atoms) with the PBE functional, plane-wave cutoff 400.0 eV")
    expect(d.text).toContain("Final energy(sigma->0) -10.843910 eV")
    expect(d.text).toContain("largest force (last step): 0.012 eV/Å")
    expect(d.metadata).toMatchObject({ format: "vasp-outcar", system: { formula: "Si2", atoms: 2 }, results: { energySigma0: { value: -10.84391, unit: "eV" }, pressure: { value: -0.42, unit: "kB" } }, convergence: { ionicSteps: 2, relaxed: true }, termination: "normal" })
  })

  it("VASP vasprun.xml: generator, INCAR, atoms, ionic steps, final cell, Fermi level", () => {
    expect(detectLogProgram(VASPRUN)?.format).toBe("vasp-xml")
    const d = readLogText(VASPRUN)
    expect(d.text).toContain("after 2 ionic steps and 2 electronic steps")
    expect(d.text).toContain("Monkhorst-Pack 8 8 8")
    expect(d.metadata).toMatchObject({ version: "6.3.0", system: { formula: "Si2", cell: { volume: { value: 40.692234 } } }, results: { energySigma0: { value: -10.84391 }, fermiEnergy: { value: 5.6543 } }, termination: "normal" })
    // Cut short: no closing tag.
    expect(readLogText(VASPRUN.slice(0, VASPRUN.indexOf("<dos>"))).metadata.termination).toBe("incomplete")
  })

  it("GROMACS md.log: parameters, energy blocks in 15-character fields, averages, performance", () => {
    expect(detectLogProgram(MDLOG)?.format).toBe("gromacs-log")
    const d = readLogText(MDLOG)
    expect(d.text).toContain("50,000 steps of 0.002 ps requested (0.1 ns)")
    expect(d.text).toContain("V-rescale thermostat at 300 K")
    expect(d.text).toMatch(/\| Ryckaert-Bell\. \| 3984\.8 \| 3974\.8 \|/)
    expect(d.metadata).toMatchObject({ program: "GROMACS", system: { atoms: 6495 }, averages: { Temperature: 299.816 }, termination: "normal" })
  })

  it("GROMACS .xvg: legends become column names, data summarised", () => {
    expect(detectLogProgram(XVG)?.format).toBe("gromacs-xvg")
    const d = readLogText(XVG)
    expect(d.text).toContain("| Potential | -469210 | -470010 |")
    expect(d.metadata).toMatchObject({ legends: ["Potential", "Temperature"], data: { rows: 6 } })
  })

  it("recognises a LAMMPS log without its banner, GAMESS-US by its version box, and leaves unknown text to the generic reader", () => {
    const lammps = ["Setting up Verlet run ...", "  Unit style    : lj", "Per MPI rank memory allocation (min/avg/max) = 2.1 | 2.1 | 2.1 Mbytes", "Step Temp E_pair E_mol TotEng Press", "       0          1.5   -6.7733681            0   -4.6218056   -5.0244179", "Loop time of 0.1 on 1 procs for 100 steps with 4000 atoms"].join("\n")
    expect(detectLogProgram(lammps)?.format).toBe("lammps-log")
    const doc = readLogText(lammps)
    expect(doc.text).toContain("Units: lj (dimensionless Lennard-Jones reduced units)")
    const gamess = " *         GAMESS VERSION = 30 SEP 2019 (R2)          *\n EXECUTION OF GAMESS BEGUN Mon Jan  1 10:00:00 2024\n FINAL RHF ENERGY IS      -74.9643287914 AFTER  11 ITERATIONS\n EXECUTION OF GAMESS TERMINATED NORMALLY Mon Jan  1 10:00:01 2024\n"
    expect(detectLogProgram(gamess)?.format).toBe("gamess-log")
    expect(readLogText(gamess).metadata).toMatchObject({ program: "GAMESS", version: "30 SEP 2019 (R2)", results: { energies: { "SCF energy (RHF)": { value: -74.9643287914 } } }, termination: "normal" })
    const unknown = "MyCode 1.0 starting\nstep 1 energy = -1.5 eV\nstep 2 energy = -1.7 eV\nconverged after 2 steps\n"
    expect(detectLogProgram(unknown)).toBeNull()
    expect(GENERIC_LOG.detect(unknown)).toBeGreaterThan(0.2)
    expect(GENERIC_LOG.detect(unknown)).toBeLessThan(0.5)
    const g = readLogText(unknown)
    expect(g).toMatchObject({ program: "generic", format: "text-log" })
    expect(g.text).toContain("converged after 2 steps")
  })

  it("does not confuse the synthetic formats with each other", () => {
    for (const [text, format] of [[CP2K, "cp2k-log"], [OUTCAR, "vasp-outcar"], [VASPRUN, "vasp-xml"], [MDLOG, "gromacs-log"], [XVG, "gromacs-xvg"]] as const) {
      const scores = scoreLogPrograms(text)
      expect(scores[0]!.format).toBe(format)
      expect(scores.filter((s) => s.score >= 0.5)).toHaveLength(1)
    }
  })
})

// ---------------------------------------------------------------------------------------------------

describe("bounded memory and size on large inputs", () => {
  it("summarises a large LAMMPS dump streamed line by line into a bounded document", () => {
    const reader = detectLogProgram("ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2000\n")!.create()
    const snapshots = 300
    const atoms = 2000
    let fed = 0
    for (let s = 0; s < snapshots; s++) {
      reader.feed("ITEM: TIMESTEP")
      reader.feed(String(s * 100))
      reader.feed("ITEM: NUMBER OF ATOMS")
      reader.feed(String(atoms))
      reader.feed("ITEM: BOX BOUNDS pp pp pp")
      for (let k = 0; k < 3; k++) reader.feed(`0 ${(30 + s * 0.001).toFixed(4)}`)
      reader.feed("ITEM: ATOMS id type x y z vx vy vz")
      for (let i = 1; i <= atoms; i++) {
        const x = (i * 7919) % 30
        reader.feed(`${i} ${1 + (i % 3)} ${x} ${(x * 3) % 30} ${(x * 5) % 30} ${Math.sin(i + s)} ${Math.cos(i)} 0.1`)
        fed++
      }
    }
    const doc = reader.finish()
    expect(fed).toBe(600_000)
    expect(doc.text.length).toBeLessThan(8000)
    expect(JSON.stringify(doc.metadata).length).toBeLessThan(6000)
    expect(doc.metadata).toMatchObject({ snapshots: 300, atoms: 2000, types: { "1": 666, "2": 667, "3": 667 } })
    expect((doc.metadata.columnStats as Record<string, { count: number }>).vx!.count).toBe(600_000)
    expect(doc.text).toContain("changing to")
  })

  it("keeps a LAMMPS log with hundreds of runs and a 200,000-row thermo block bounded", () => {
    const reader = detectLogProgram("LAMMPS (29 Oct 2020)\n")!.create()
    reader.feed("LAMMPS (29 Oct 2020)")
    reader.feed("units metal")
    for (let r = 0; r < 400; r++) {
      reader.feed("Setting up Verlet run ...")
      reader.feed("  Unit style    : metal")
      reader.feed(`  Current step  : ${r * 10}`)
      reader.feed("  Time step     : 0.001")
      reader.feed("Step Temp PotEng Press")
      const rows = r === 0 ? 200_000 : 3
      for (let i = 0; i < rows; i++) reader.feed(`${r * 10 + i} ${300 + Math.sin(i)} ${-100 - i * 1e-6} ${Math.cos(i) * 1000}`)
      reader.feed(`Loop time of 0.5 on 4 procs for ${rows} steps with 100 atoms`)
      if (r % 50 === 7) reader.feed("WARNING: Temperature out of range (src/fix.cpp:12)")
    }
    reader.feed("Total wall time: 0:03:20")
    const doc = reader.finish()
    expect(doc.text.length).toBeLessThanOrEqual(MAX_DOC_CHARS)
    expect(doc.text).toContain("400 runs")
    expect(doc.text).toContain("runs between run 6 and run 398 are not listed")
    expect(doc.text).toContain("Temperature out of range (x8)")
    expect(doc.metadata).toMatchObject({ runs: { count: 400, totalSteps: 200_000 + 399 * 3 } })
    expect(JSON.stringify(doc.metadata).length).toBeLessThan(40_000)
  })

  it("caps a generic log at the document limit and says what it left out", () => {
    const reader = GENERIC_LOG.create()
    for (let b = 0; b < 2000; b++) {
      reader.feed(`phase ${b} converged: residual = ${1 / (b + 1)} au`)
      reader.feed(`quantity_${b % 60} = ${b * 1.5} eV`)
      reader.feed("x y z")
      for (let i = 0; i < 5; i++) reader.feed(`${i} ${i * b} ${Math.sqrt(i + b)}`)
      reader.feed("")
      reader.feed(`ERROR ${b}: something went wrong with a long explanation ${"x".repeat(b % 300)}`)
    }
    const doc = reader.finish()
    expect(doc.format).toBe("text-log")
    expect(doc.text.length).toBeLessThanOrEqual(MAX_DOC_CHARS)
    expect(JSON.stringify(doc.metadata).length).toBeLessThan(60_000)
  })

  it("DocBuilder cuts at a line boundary and lists the omitted sections", () => {
    const d = new DocBuilder("big")
    d.section("first")
    for (let i = 0; i < 2000; i++) d.line(`line ${i} ${"y".repeat(40)}`)
    d.section("second").line("never shown")
    const t = d.build(10_000)
    expect(t.length).toBeLessThanOrEqual(10_000)
    expect(t).toMatch(/\[Document capped at 10,000 characters: omitted \d+ of 2000 lines of "first", and the sections "second"\.\]\n$/)
  })
})

describe("render helpers", () => {
  it("Series keeps exact running statistics and a bounded, deterministic sample with first and last", () => {
    const s = new Series(16)
    const xs = Array.from({ length: 10_001 }, (_, i) => Math.sin(i) * 10 + i * 0.01)
    for (const x of xs) s.push(x)
    s.push(Number.NaN)
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length)
    expect(s.count).toBe(10_001)
    expect(s.nonFinite).toBe(1)
    expect(s.mean).toBeCloseTo(mean, 9)
    expect(s.std).toBeCloseTo(std, 9)
    expect(s.min).toBe(Math.min(...xs))
    const sample = s.sample(8)
    expect(sample.length).toBeLessThanOrEqual(8)
    expect(sample[0]).toBe(xs[0])
    expect(sample[sample.length - 1]).toBe(xs[xs.length - 1])
    const again = new Series(16)
    for (const x of xs) again.push(x)
    expect(again.sample(8)).toEqual(s.sample(8))
  })

  it("RowSampler picks first, last and evenly spread rows", () => {
    const r = new RowSampler<number>(8)
    for (let i = 0; i < 1000; i++) r.push(i)
    const p = r.pick(5).map((x) => x.row)
    expect(p[0]).toBe(0)
    expect(p[p.length - 1]).toBe(999)
    expect(p).toHaveLength(5)
  })

  it("formulas in Hill order and elements from program atom labels", () => {
    expect(hillFormula({ H: 10, C: 10 })).toBe("C10H10")
    expect(hillFormula({ O: 1, H: 2 })).toBe("H2O")
    expect(hillFormula({ Si: 6, O: 12 })).toBe("O12Si6")
    expect(hillFormula({ Cl: 1, C: 1, H: 3 })).toBe("CH3Cl")
    expect(["H1", "H_2", "Si", "CL", "Ow", "Fe2", "C"].map(elementFromLabel)).toEqual(["H", "H", "Si", "Cl", "O", "Fe", "C"])
  })

  it("never throws on empty or garbage input, for any reader", () => {
    const garbage = ["", "   ", "\u0000\u0001", "Step", "ITEM: ATOMS", "!", "@", "#", "| 1> ! opt", "Loop time of x", "freq (", "SCF Done:  E(RHF) = junk", "x".repeat(100_000)]
    for (const p of [...LOG_PROGRAMS, GENERIC_LOG]) {
      const r0 = p.create()
      const empty = r0.finish()
      expect(empty.format, p.format).toBe(p.format)
      const r = p.create()
      for (const g of garbage) r.feed(g)
      const doc = r.finish()
      expect(doc.format).toBe(p.format)
      expect(doc.text.length).toBeGreaterThan(0)
    }
  })
})

// Large-file sanity: the golden directory stays small.
// Not skipped when the folder is missing: a missing golden is a failure (see expectGolden).
describe("golden files", () => {
  it("stay small", () => {
    const total = readdirSync(goldenDir).reduce((a, f) => a + statSync(path.join(goldenDir, f)).size, 0)
    expect(total).toBeLessThan(400_000)
  })
})

/**
 * Every reader, in one list: adding a format is adding a file in this folder and a line here. The
 * order does not matter (the router sorts by ceiling and priority); it is the order `scicurate formats`
 * lists them in.
 */
import type { Reader } from "../reader.ts"
import { archiveReader } from "./archive.ts"
import { bzip2Reader } from "./bzip2.ts"
import { codeReader } from "./code.ts"
import { cp2kLogReader } from "./cp2k-log.ts"
import { credentialsFileReader } from "./credentials-file.ts"
import { daltonLogReader } from "./dalton-log.ts"
import { gamessLogReader } from "./gamess-log.ts"
import { gaussianLogReader } from "./gaussian-log.ts"
import { gromacsLogReader } from "./gromacs-log.ts"
import { gromacsXvgReader } from "./gromacs-xvg.ts"
import { gzipReader } from "./gzip.ts"
import { hdf5Reader } from "./hdf5.ts"
import { jsonlReader } from "./jsonl.ts"
import { lammpsDumpReader } from "./lammps-dump.ts"
import { lammpsLogReader } from "./lammps-log.ts"
import { lammpsPhononReader } from "./lammps-phonon.ts"
import { licenseFileReader } from "./license-file.ts"
import { markdownReader } from "./markdown.ts"
import { molproLogReader } from "./molpro-log.ts"
import { netcdfReader } from "./netcdf.ts"
import { nwchemLogReader } from "./nwchem-log.ts"
import { orcaLogReader } from "./orca-log.ts"
import { pdfReader } from "./pdf.ts"
import { plumedLogReader } from "./plumed-log.ts"
import { psi4LogReader } from "./psi4-log.ts"
import { qchemLogReader } from "./qchem-log.ts"
import { qeCpReader } from "./qe-cp.ts"
import { qeNebReader } from "./qe-neb.ts"
import { qePhReader } from "./qe-ph.ts"
import { qePwReader } from "./qe-pw.ts"
import { tableReader } from "./table.ts"
import { textLogReader } from "./text-log.ts"
import { textReader } from "./text.ts"
import { vaspOutcarReader } from "./vasp-outcar.ts"
import { vaspXmlReader } from "./vasp-xml.ts"
import { xtbLogReader } from "./xtb-log.ts"
import { xzReader } from "./xz.ts"
import { zstdReader } from "./zstd.ts"

export const READERS: ReadonlyArray<Reader> = [
  jsonlReader,
  pdfReader,
  codeReader,
  markdownReader,
  textReader,
  tableReader,
  textLogReader,
  lammpsLogReader,
  lammpsDumpReader,
  lammpsPhononReader,
  plumedLogReader,
  qePwReader,
  qePhReader,
  qeCpReader,
  qeNebReader,
  gaussianLogReader,
  orcaLogReader,
  nwchemLogReader,
  psi4LogReader,
  gamessLogReader,
  molproLogReader,
  qchemLogReader,
  daltonLogReader,
  xtbLogReader,
  cp2kLogReader,
  vaspOutcarReader,
  vaspXmlReader,
  gromacsLogReader,
  gromacsXvgReader,
  hdf5Reader,
  netcdfReader,
  archiveReader,
  gzipReader,
  zstdReader,
  bzip2Reader,
  xzReader,
  licenseFileReader,
  credentialsFileReader
]

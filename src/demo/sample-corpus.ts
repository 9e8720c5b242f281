/**
 * The built-in demo corpus: a small, self-made scientific sample that exercises every ingest path,
 * good and bad, so the pipeline can be demonstrated and tested without any downloaded data.
 * Every call writes byte-identical files (no clock, no randomness).
 */
import { mkdir, writeFile } from "node:fs/promises"
import path from "node:path"
import { abstractLines } from "./abstracts.ts"
import { NOTES } from "./notes.ts"
import { makeTinyPdf, type TinyPdfDocument } from "./tiny-pdf.ts"

/** Where each file lands, relative to the corpus root, and what ingest should make of it. */
export const SAMPLE_FILES = {
  notes: NOTES.map((n) => n.path),
  abstracts: "abstracts/abstracts.jsonl",
  pdf: "papers/tiny-paper.pdf",
  /** Saved as Latin-1 by an old editor: decoded (metadata.encoding), not rejected. */
  latin1: "notes/calibration-latin1.txt",
  bad: {
    corruptPdf: "bad/truncated-paper.pdf",
    empty: "bad/empty-notes.txt",
    binary: "bad/detector-frames.h5"
  }
} as const

/** The reject code each bad input should produce. */
export const EXPECTED_REJECTS: Readonly<Record<string, string>> = {
  [SAMPLE_FILES.bad.corruptPdf]: "corrupt-pdf",
  [SAMPLE_FILES.bad.empty]: "empty-file",
  [SAMPLE_FILES.bad.binary]: "corrupt-data"
}

/** The demo paper. One paragraph is given as explicit lines to force a hyphenated line break. */
export const TINY_PAPER: TinyPdfDocument = {
  heading: "Heat Capacity Anomalies in Layered Magnetic Crystals",
  info: {
    Title: "Heat Capacity Anomalies in Layered Magnetic Crystals",
    Author: "Scicurate Demo Group",
    Subject: "Condensed matter physics",
    Keywords: "heat capacity, magnetism, phase transitions",
    Creator: "scicurate tiny-pdf",
    Producer: "scicurate tiny-pdf",
    CreationDate: "D:20240101000000Z"
  },
  pages: [
    [
      "Abstract. Layered magnetic crystals order at temperatures set by weak couplings between their " +
        "atomic planes. We describe how the heat capacity reveals these transitions and why the shape of " +
        "the anomaly depends on the dimensionality of the magnetic interactions. Sample identifier " +
        "doi:10.5555/scicurate.demo.2024 is a placeholder used only for testing.",
      "1. Introduction. In a layered antiferromagnet the exchange coupling within a plane can be a " +
        "hundred times stronger than the coupling between planes. Above the ordering temperature, " +
        "short-range correlations inside each plane already remove a large part of the magnetic entropy, " +
        "so the peak in the heat capacity at the transition is smaller than mean-field theory predicts.",
      [
        "2. Methods. The heat capacity of single crystals was measured by relaxation calori-",
        "metry between 2 and 300 kelvin in magnetic fields up to 9 tesla. The phonon back-",
        "ground was estimated from a non-magnetic reference compound with the same structure",
        "and subtracted to obtain the magnetic contribution."
      ]
    ],
    [
      "3. Results. The magnetic heat capacity shows a sharp lambda-shaped peak at 38 kelvin and a broad " +
        "shoulder near 60 kelvin. Integrating the magnetic heat capacity divided by temperature recovers " +
        "about 90 percent of the entropy expected for spin one-half moments, most of it above the peak.",
      "4. Discussion. The broad shoulder is the signature of two-dimensional correlations, while the " +
        "sharp peak marks three-dimensional long-range order once the weak interlayer coupling takes " +
        "over. Applying a magnetic field shifts the peak to lower temperature, as expected for an " +
        "antiferromagnet, and the shift follows a simple quadratic law.",
      "5. Conclusion. Heat capacity measurements give a compact way to separate low-dimensional " +
        "correlations from true long-range order in layered magnets."
    ]
  ]
}

/** Deterministic pseudo-random bytes (xorshift32): stands in for the payload of a binary data file. */
export function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

/** An HDF5-looking file: the real 8-byte signature, then noise. Ingest must reject it, not read it. */
function fakeHdf5(): Uint8Array {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
  const bytes = pseudoRandomBytes(4096, 0x5eed)
  bytes.set(signature, 0)
  return bytes
}

/** A note saved as Latin-1 by an old editor: "°" and "é" are single bytes >= 0x80, invalid in UTF-8, so ingest must detect the charset. */
function latin1Note(): Uint8Array {
  const text =
    "Calibration log, spectrometer B\n\n" +
    "The reference cell was held at 25 \u00b0C during the whole run. The d\u00e9tecteur dark current " +
    "was subtracted before averaging, and the wavelength scale was checked against a neon lamp.\n"
  return new Uint8Array(Buffer.from(text, "latin1"))
}

/** All files of the corpus as [relative path, bytes], in a fixed order. */
export function sampleCorpusFiles(): Array<[string, Uint8Array]> {
  const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"))
  const pdf = makeTinyPdf(TINY_PAPER)
  const files: Array<[string, Uint8Array]> = []
  for (const note of NOTES) files.push([note.path, utf8(note.text)])
  files.push([SAMPLE_FILES.abstracts, utf8(abstractLines().lines.join("\n") + "\n")])
  files.push([SAMPLE_FILES.pdf, pdf])
  // Cut in the middle, as an interrupted download leaves it: header and first objects, no xref, no %%EOF.
  files.push([SAMPLE_FILES.bad.corruptPdf, pdf.slice(0, Math.floor(pdf.length / 2))])
  files.push([SAMPLE_FILES.bad.empty, new Uint8Array(0)])
  files.push([SAMPLE_FILES.latin1, latin1Note()])
  files.push([SAMPLE_FILES.bad.binary, fakeHdf5()])
  return files
}

/** Write the demo corpus into `dir` (created if needed). Returns the written paths relative to `dir`, sorted. */
export async function writeSampleCorpus(dir: string): Promise<{ files: string[] }> {
  const files = sampleCorpusFiles()
  for (const [rel, bytes] of files) {
    const abs = path.join(dir, rel)
    await mkdir(path.dirname(abs), { recursive: true })
    await writeFile(abs, bytes)
  }
  return { files: files.map(([rel]) => rel).sort() }
}

/**
 * The router's pure half: every reader scores a Probe (name, first bytes, decoded head, size), the best
 * wins, ties by priority. Realistic heads built here, plus every simulation file of the shared corpus.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { Probe, PROBE_BYTES } from "../../src/ingest/probe.ts"
import { chooseReader, READERS, scoreReaders } from "../../src/ingest/router.ts"
import { detectLogProgram } from "../../src/ingest/simulation/detect.ts"
import { corpusRoot, hasCorpus } from "./support.ts"

const probe = (name: string, content: string | Uint8Array): Probe => {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content
  return new Probe(name, bytes.subarray(0, PROBE_BYTES), bytes.length)
}
const chosen = (name: string, content: string | Uint8Array) => chooseReader(probe(name, content))
const idOf = (name: string, content: string | Uint8Array) => chosen(name, content)?.reader.id ?? null

const GAUSSIAN = " Entering Gaussian System, Link 0=g09\n Gaussian 09:  ES64L-G09RevD.01 24-Apr-2013\n ******************************************\n Gaussian, Inc.  All Rights Reserved.\n #p b3lyp/6-31G(d) opt freq\n"
const PWSCF = "\n     Program PWSCF v.6.4.1 starts on 10Mar2020 at 10:12:45\n\n     This program is part of the open-source Quantum ESPRESSO suite\n     bravais-lattice index     =            2\n     lattice parameter (alat)  =      10.2000  a.u.\n"
const LAMMPS = "LAMMPS (29 Oct 2020)\nunits metal\natom_style atomic\nStep Temp E_pair E_mol TotEng Press\n       0         1600   -3.3452     0   -3.1386    12345.6\n     100    1102.2343   -3.2771     0   -3.1341    3456.7\n"
const CSV = "year,month,sunspots\n" + Array.from({ length: 60 }, (_, i) => `${1900 + Math.floor(i / 12)},${(i % 12) + 1},${(40 + 7 * Math.sin(i)).toFixed(1)}`).join("\n") + "\n"

describe("detection on realistic heads", () => {
  it("program output by content, whatever the name suggests (a Gaussian log named run.h)", () => {
    expect(idOf("run.h", GAUSSIAN)).toBe("gaussian-log")
    expect(idOf("si.scf.out", PWSCF)).toBe("qe-pw")
    expect(idOf("log.lammps", LAMMPS)).toBe("lammps-log")
    expect(chosen("si.scf.out", PWSCF)!.detection.reason).toMatch(/Quantum ESPRESSO pw\.x/)
  })

  it("certain code beats program output it quotes; config formats yield to it (vasprun.xml)", () => {
    expect(idOf("solver.py", `# parses output like:\n${PWSCF}`)).toBe("code")
    const vasprun = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<modeling>\n <generator>\n  <i name="program" type="string">vasp </i>\n  <i name="version" type="string">5.4.4.18Apr17-6-g9f103f2a35 </i>\n </generator>\n'
    expect(idOf("run/vasprun.xml", vasprun)).toBe("vasp-xml")
    expect(idOf("config/settings.xml", '<?xml version="1.0"?>\n<settings><a>1</a></settings>\n')).toBe("code")
  })

  it("prose by name stays text even when it quotes a run", () => {
    expect(idOf("docs/melt.md", `# Melting\n\nWe ran:\n\n\`\`\`\n${LAMMPS}\`\`\`\n`)).toBe("markdown")
  })

  it("JSONL by extension whatever line 1 holds, by content otherwise; pretty JSON is not JSONL", () => {
    expect(chosen("x.jsonl", "just prose on line one\n")!.detection).toEqual({ score: 0.99, reason: "extension .jsonl" })
    expect(idOf("records.txt", '{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n')).toBe("jsonl")
    expect(idOf("data.json", '{\n  "text": "a",\n  "n": 1\n}\n')).toBe("code")
    expect(idOf("notes.txt", '{"text": "a"}\nthen prose follows\nand more prose\n')).not.toBe("jsonl")
  })

  it("names decide license and credential files", () => {
    expect(idOf("pkg/COPYING", "GNU GENERAL PUBLIC LICENSE\nVersion 3\n")).toBe("license-file")
    expect(idOf("deploy/.env", "DB_PASSWORD=hunter2\n")).toBe("credentials-file")
  })

  it("tables, unknown program output, plain text", () => {
    expect(idOf("sunspots.csv", CSV)).toBe("table")
    const optimiser = Array.from({ length: 30 }, (_, i) => `Step ${i + 1}: E = ${(-76.02 - i * 0.001).toFixed(5)} dE = ${(1.2e-3 / (i + 1)).toExponential(2)}\n  max force ${(0.041 / (i + 1)).toFixed(4)} rms force ${(0.01 / (i + 1)).toFixed(4)}`).join("\n")
    expect(idOf("opt.out", optimiser)).toBe("text-log")
    expect(idOf("summary.txt", "In 2019, 37 of the 120 sites (31%) showed warming above 1.5 degrees.\n")).toBe("text")
  })

  it("magic numbers: PDF, compression layers, archives; data containers and unknown binaries have no reader", () => {
    expect(idOf("paper.bin", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")).toBe("pdf")
    expect(idOf("x.jsonl.gz", Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]))).toBe("gzip")
    expect(idOf("x", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toBe("zstd")
    expect(idOf("src.zip", Buffer.from([0x50, 0x4b, 3, 4, 0, 0]))).toBe("archive")
    expect(idOf("report.docx", Buffer.from([0x50, 0x4b, 3, 4, 0, 0]))).toBeNull()
    expect(idOf("figure.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toBeNull()
  })

  it("UTF-16 text is text (not binary for its NUL bytes), decoded in the probe", () => {
    const p = probe("notes.txt", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("Lab notes: 25 °C all day.\n", "utf16le")]))
    expect(p.sniffed).toEqual({ _tag: "Text" })
    expect(p.text).toBe("Lab notes: 25 °C all day.\n")
    expect(chooseReader(p)!.reader.id).toBe("text")
  })

  it("the short-circuit choice is always the best of all scores", () => {
    const heads: Array<[string, string | Uint8Array]> = [
      ["run.h", GAUSSIAN], ["si.scf.out", PWSCF], ["log.lammps", LAMMPS], ["sunspots.csv", CSV], ["solver.py", "import os\n"],
      ["README.md", "# Title\n\nSome **bold** text.\n"], ["x.jsonl", "{}\n"], ["notes", "plain words\n"], ["LICENSE", "MIT License\n"]
    ]
    for (const [name, head] of heads) {
      const all = scoreReaders(probe(name, head))
      expect(chosen(name, head)?.reader.id, name).toBe(all[0]?.reader.id)
    }
  })

  it("every reader has a unique id and a ceiling its detections never pass", () => {
    expect(new Set(READERS.map((r) => r.id)).size).toBe(READERS.length)
    for (const [name, head] of [["run.h", GAUSSIAN], ["sunspots.csv", CSV], ["log.lammps", LAMMPS]] as const)
      for (const c of scoreReaders(probe(name, head))) expect(c.detection.score, c.reader.id).toBeLessThanOrEqual(c.reader.ceiling)
  })
})

describe.skipIf(!hasCorpus)("routing of the shared corpus's simulation files (needs ../shared/corpus)", () => {
  const dir = path.join(corpusRoot, "simulation")
  it("each file goes to its program's reader, tables to the table reader, netCDF/HDF5 to theirs", () => {
    if (!existsSync(dir)) return
    for (const f of readdirSync(dir).sort()) {
      const bytes = readFileSync(path.join(dir, f)).subarray(0, PROBE_BYTES)
      const p = new Probe(f, bytes, bytes.length)
      const id = chooseReader(p)?.reader.id
      if (/\.(nc|h5|hdf5)$/.test(f)) expect(id, f).toMatch(/^(netcdf|hdf5)$/)
      else if (f.endsWith(".csv")) expect(id, f).toBe("table")
      else {
        const program = detectLogProgram(p.text)
        expect(id, f).toBe(program?.format ?? id)
        expect(id, f).not.toBe("text")
      }
    }
  })
})
if (!hasCorpus) console.warn(`[scicurate] ${corpusRoot} not found: skipping the corpus routing test`)

describe("a JSONL file split by planning", () => {
  it("gives its records the same metadata.reader as the whole file", async () => {
    const { mkdtempSync, writeFileSync, rmSync, statSync } = await import("node:fs")
    const { tmpdir } = await import("node:os")
    const { readFile } = await import("../../src/ingest/router.ts")
    const { sha256Hex } = await import("../../src/core/text.ts")
    const dir = mkdtempSync(path.join(tmpdir(), "scicurate-split-"))
    try {
      const lines = [1, 2, 3].map((i) => JSON.stringify({ text: `Record ${i} about ocean heat uptake.` }) + "\n")
      const p = path.join(dir, "part.jsonl")
      writeFileSync(p, lines.join(""))
      const size = statSync(p).size
      const base = { absPath: p, sourcePath: "part.jsonl", size, license: null, domain: null }
      const opts = { minChars: 1, maxFileBytes: 1 << 20, maxRecordBytes: 1 << 20 }
      const collect = async (file: typeof base & { range?: unknown }) => {
        const out: string[] = []
        for await (const item of readFile(file as never, opts)) if (item._tag === "Document") out.push(item.doc.metadata)
        return out
      }
      const whole = await collect(base)
      const start = Buffer.byteLength(lines[0]!)
      const range = { start, end: size, firstLine: 2, fileSha256: sha256Hex(Buffer.from(lines.join(""))), fileSize: size, fileMtimeMs: 0 }
      expect(await collect({ ...base, range })).toEqual(whole.slice(1))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** Synthetic inputs, good and bad, written to a temp dir: every reject code and the JSONL record rules. */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { documentId, normalizeText, sha256Hex } from "../../src/core/text.ts"
import { makeTinyPdf } from "../../src/demo/tiny-pdf.ts"
import { defaultOptions, expectDocument, extractAll, extractOne, reasonOf } from "./support.ts"

let dir: string
const file = (name: string, content: string | Uint8Array): string => {
  const p = path.join(dir, name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, content)
  return p
}

const goodPdf = (): Uint8Array =>
  makeTinyPdf({
    heading: "A Test Paper on Thermal Transport",
    info: { Title: "A Test Paper on Thermal Transport" },
    pages: [["Phonons carry most of the heat in electrically insulating crystals, and their mean free path sets the thermal conductivity."]]
  })

/**
 * Add an /Encrypt dictionary through an incremental update. Its /U entry matches no password, so a
 * reader must ask for one: pdfjs throws PasswordException.
 */
function encryptedPdf(): Uint8Array {
  const base = Buffer.from(goodPdf())
  const text = base.toString("latin1")
  const prevXref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1])
  const size = Number(/\/Size (\d+)/.exec(text)![1])
  const hex = (b: number) => b.toString(16).padStart(2, "0").repeat(32)
  const objOffset = base.length
  const obj = `${size} 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <${hex(0x11)}> /U <${hex(0x22)}> /P -44 >>\nendobj\n`
  const xrefOffset = objOffset + obj.length
  const update =
    obj +
    `xref\n0 1\n0000000000 65535 f \n${size} 1\n${String(objOffset).padStart(10, "0")} 00000 n \n` +
    `trailer\n<< /Size ${size + 1} /Root 1 0 R /Prev ${prevXref} /Encrypt ${size} 0 R /ID [<${"ab".repeat(16)}> <${"ab".repeat(16)}>] >>\n` +
    `startxref\n${xrefOffset}\n%%EOF\n`
  return new Uint8Array(Buffer.concat([base, Buffer.from(update, "latin1")]))
}

/** A valid PDF whose page tree is empty, with exact xref offsets (tiny-pdf insists on at least one page). */
function zeroPagePdf(): Uint8Array {
  const objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"]
  let body = "%PDF-1.4\n"
  const offsets = objects.map((obj, i) => {
    const at = body.length
    body += `${i + 1} 0 obj\n${obj}\nendobj\n`
    return at
  })
  const xref = body.length
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const at of offsets) body += `${String(at).padStart(10, "0")} 00000 n \n`
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return new Uint8Array(Buffer.from(body, "latin1"))
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "scicurate-ingest-"))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe("whole-file rejects", () => {
  it("empty file → empty-file", async () => {
    expect(reasonOf(await extractOne(file("empty.txt", "")))).toBe("Rejected:empty-file")
  })

  it("text or PDF over maxFileBytes → file-too-large", async () => {
    const small = { ...defaultOptions, minChars: 1, maxFileBytes: 1000 }
    const text = await extractOne(file("big.txt", "Ice cores hold trapped air. ".repeat(200)), small)
    expect(reasonOf(text)).toBe("Rejected:file-too-large")
    expect(text._tag !== "Document" && text.detail).toBe("5600 bytes, limit for text and PDF files is 1000")
    expect(reasonOf(await extractOne(file("big.pdf", goodPdf()), small))).toBe("Rejected:file-too-large")
  })

  it("the size on the open file counts, not only the caller's earlier stat", async () => {
    const p = file("grew.txt", "Permafrost thaw releases carbon. ".repeat(100))
    const items = await extractAll(p, { ...defaultOptions, maxFileBytes: 1000 }, "grew.txt", { size: 10 })
    expect(items.map(reasonOf)).toEqual(["Rejected:file-too-large"])
  })

  it("unreadable input → read-error (missing file, directory)", async () => {
    expect((await extractAll(path.join(dir, "missing.txt"), defaultOptions, "missing.txt", { size: 10 })).map(reasonOf)).toEqual(["Rejected:read-error"])
    mkdirSync(path.join(dir, "a-directory"), { recursive: true })
    expect((await extractAll(path.join(dir, "a-directory"), defaultOptions, "a-directory", { size: 4096 })).map(reasonOf)).toEqual(["Rejected:read-error"])
  })

  it("a Latin-1 text is decoded, not rejected (see encodings.test.ts for the other charsets)", async () => {
    const item = await extractOne(file("latin1.txt", Buffer.from("Temperature held at 25 \u00b0C all day", "latin1")))
    expect(expectDocument(item).text).toBe("Temperature held at 25 \u00b0C all day")
  })

  it("binary content → binary-file naming the type, whatever the extension (HDF5/netCDF: corrupt-data)", async () => {
    const nul = await extractOne(file("frames.txt", Buffer.from([0x41, 0x42, 0x00, 0x01, 0x02, 0x43])))
    expect(reasonOf(nul)).toBe("Rejected:binary-file")
    const png = await extractOne(file("figure.md", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])))
    expect(png._tag !== "Document" && png.detail).toBe("PNG file: no extractor for binary formats yet")
    // HDF5 and netCDF have readers: a file with their signature that does not open is corrupt data.
    const hdf5 = await extractOne(file("run.nc", Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])))
    expect(reasonOf(hdf5)).toBe("Rejected:corrupt-data")
    expect(hdf5._tag !== "Document" && hdf5.detail).toMatch(/^HDF5: /)
    // gzip and zip are archives: a cut-off one is a corrupt archive, whatever its name says.
    const gzip = await extractOne(file("notes.jsonl", Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00])))
    expect(reasonOf(gzip)).toBe("Rejected:corrupt-archive")
  })

  it("truncated PDF → corrupt-pdf", async () => {
    const pdf = goodPdf()
    expect(reasonOf(await extractOne(file("cut.pdf", pdf.slice(0, Math.floor(pdf.length / 2)))))).toBe("Rejected:corrupt-pdf")
  })

  it("garbage after a PDF header → corrupt-pdf", async () => {
    const item = await extractOne(file("garbage.pdf", "%PDF-1.4\nthis is not a pdf body at all\n%%EOF\n"))
    expect(reasonOf(item)).toBe("Rejected:corrupt-pdf")
  })

  it("password-protected PDF → encrypted-pdf", async () => {
    expect(reasonOf(await extractOne(file("locked.pdf", encryptedPdf())))).toBe("Rejected:encrypted-pdf")
  })

  it("PDF with no pages → empty-pdf", async () => {
    const item = await extractOne(file("nopages.pdf", zeroPagePdf()))
    expect(reasonOf(item)).toBe("Rejected:empty-pdf")
    expect(item._tag !== "Document" && item.detail).toBe("the PDF has no pages")
  })

  it("PDF without text → no-text-layer", async () => {
    const blank = makeTinyPdf({ heading: "", pages: [[], []] })
    const item = await extractOne(file("scan.pdf", blank))
    expect(reasonOf(item)).toBe("Rejected:no-text-layer")
    expect(item._tag !== "Document" && item.detail).toMatch(/^2 page\(s\) with 0 letters/)
  })

  it("a good PDF → one paper document with metadata", async () => {
    const p = file("good.pdf", goodPdf())
    const doc = expectDocument(await extractOne(p))
    expect(doc).toMatchObject({ kind: "paper", format: "pdf", source_index: 0, title: "A Test Paper on Thermal Transport", bundle: null })
    expect(doc.text).toContain("Phonons carry most of the heat")
    expect(doc.source_sha256).toBe(sha256Hex(readFileSync(p)))
    expect(JSON.parse(doc.metadata)).toMatchObject({ pages: 1, pdf_info: { Title: "A Test Paper on Thermal Transport" }, doi: null, arxiv_id: null })
  })
})

describe("text and Markdown files", () => {
  it("plain text: normalised text, content id, file hash, license and domain from the input", async () => {
    const raw = "\ufeffCarbon   isotopes\r\nin tree rings\r\n\r\n\r\n\r\nrecord past climate.  \r\n"
    const p = file("notes.txt", raw)
    const items = await extractAll(p, defaultOptions, "inputs/notes.txt", { license: "CC-BY-4.0", domain: "climate" })
    const doc = expectDocument(items[0])
    expect(doc.text).toBe("Carbon   isotopes\nin tree rings\n\nrecord past climate.")
    expect(doc).toMatchObject({
      id: documentId(normalizeText(raw.slice(1))),
      kind: "text",
      format: "plain-text",
      source_path: "inputs/notes.txt",
      source_sha256: sha256Hex(readFileSync(p)),
      source_index: 0,
      license: "CC-BY-4.0",
      domain: "climate",
      title: null,
      metadata: '{"reader":{"id":"text","score":0.1,"reason":"text (utf-8); no other reader claimed it"}}'
    })
  })

  it("Markdown by extension or by structure; title from the first # heading", async () => {
    const byExt = expectDocument(await extractOne(file("a.md", "Intro line\n\n# Glacier mass balance\n\nIce loss accelerates.\n")))
    expect(byExt).toMatchObject({ format: "markdown", title: "Glacier mass balance" })
    const byContent = expectDocument(await extractOne(file("README", "# Sediment cores\n\n- core A\n- core B\n\nBoth were dated by radiocarbon.\n")))
    expect(byContent).toMatchObject({ format: "markdown", title: "Sediment cores" })
    const log = expectDocument(await extractOne(file("run.log", "# LAMMPS input\nunits metal\n# minimise\nminimize 1e-8 1e-10 1000 10000\n")))
    expect(log).toMatchObject({ format: "plain-text", title: null })
  })

  it("too short after normalisation → Filtered too-short (whitespace-only too)", async () => {
    expect(reasonOf(await extractOne(file("tiny.txt", "ok\n"), { ...defaultOptions, minChars: 10 }))).toBe("Filtered:too-short")
    expect(reasonOf(await extractOne(file("blank.txt", " \n\t\n"), { ...defaultOptions, minChars: 1 }))).toBe("Filtered:too-short")
  })

  it("starting with `{` is not enough to be JSONL: most of the first lines must be JSON objects", async () => {
    const prose = expectDocument(await extractOne(file("odd.txt", "{ this is prose in braces }\nand more prose about the braces\n")))
    expect(prose.format).toBe("plain-text")
    const oneJsonLine = `${JSON.stringify({ text: "a header record" })}\nThen the report goes on in prose,\nline after line,\nas reports do.\n`
    expect(expectDocument(await extractOne(file("report.txt", oneJsonLine))).format).toBe("plain-text")
    const pretty = JSON.stringify({ text: "Pretty-printed JSON is one document, not records." }, null, 2)
    // A .json file is a config/data file: one code document (format json), not records.
    expect(expectDocument(await extractOne(file("pretty.json", pretty))).format).toBe("json")
  })
})

describe("JSONL", () => {
  const lines = [
    JSON.stringify({ id: 7, title: " Soil  respiration ", text: "Soil respiration doubles for every 10 degrees of warming.", year: 2020 }), // 1
    "", // 2: blank, skipped
    "   ", // 3: blank, skipped
    "{not json", // 4
    JSON.stringify({ id: "b", title: "no text here" }), // 5
    JSON.stringify([1, 2, 3]), // 6
    JSON.stringify({ text: 42 }), // 7
    JSON.stringify({ text: "short" }), // 8: too short
    JSON.stringify({ text: "Aerosols scatter sunlight and brighten clouds.", "source": { "x": [1] } }) // 9
  ]

  it("yields one item per non-blank line, in order, with the right reasons and locations", async () => {
    const bad = Buffer.from('{"text": "Latin-1 degree sign: 25 ', "utf8")
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]), // BOM
      Buffer.from(lines.join("\r\n") + "\r\n", "utf8"),
      bad,
      Buffer.from([0xb0]),
      Buffer.from('C"}', "utf8") // line 10, no final newline
    ])
    const p = file("records.txt", body) // recognised by content, not extension
    const items = await extractAll(p, { ...defaultOptions, minChars: 10 }, "records.txt")
    expect(items.map(reasonOf)).toEqual([
      "document",
      "Rejected:invalid-json",
      "Rejected:missing-text-field",
      "Rejected:missing-text-field",
      "Rejected:missing-text-field",
      "Filtered:too-short",
      "document",
      "Rejected:invalid-utf8"
    ])
    expect(items.map((i) => (i._tag === "Document" ? `line ${i.doc.source_index}` : i.location))).toEqual([
      "line 1", "line 4", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10"
    ])
    const first = expectDocument(items[0])
    const sha = sha256Hex(body)
    expect(first).toMatchObject({ kind: "text", format: "jsonl", source_index: 1, source_sha256: sha, title: "Soil respiration" })
    expect(first.id).toBe(documentId("Soil respiration doubles for every 10 degrees of warming."))
    // Every field but `text` is kept, in input order, with `id` renamed to `source_id`.
    const reader = '"reader":{"id":"jsonl","score":0.93,"reason":"first lines are JSON objects"}'
    expect(first.metadata).toBe(`{"source_id":7,"title":" Soil  respiration ","year":2020,${reader}}`)
    expect(expectDocument(items[6])).toMatchObject({ source_sha256: sha, title: null, metadata: `{"source":{"x":[1]},${reader}}` })
    const utf8 = items[7]!
    expect(utf8._tag !== "Document" && utf8.detail).toContain(`byte offset ${body.length - 4}`)
  })

  it("is recognised past leading blank lines, and line numbers count them", async () => {
    const items = await extractAll(file("late.data", `\n  \n${JSON.stringify({ text: "Glaciers retreat as summers warm." })}\n`))
    expect(expectDocument(items[0])).toMatchObject({ format: "jsonl", source_index: 3 })
  })

  it("exact duplicate lines give identical ids at different line numbers", async () => {
    const rec = JSON.stringify({ text: "Sea ice extent reached a record low in September." })
    const items = await extractAll(file("dups.jsonl", `${rec}\n${rec}\n`))
    const [a, b] = items.map(expectDocument)
    expect(a!.id).toBe(b!.id)
    expect([a!.source_index, b!.source_index]).toEqual([1, 2])
  })

  const good = (n: number) => JSON.stringify({ text: `Record ${n}: stomata close when the air dries out.` })

  it("a bad first line is rejected on its own, not read as a text document (badfirst.jsonl, arrayfirst.jsonl)", async () => {
    const truncated = '{"text": "Ocean heat content rose ag'
    const badfirst = await extractAll(file("badfirst.jsonl", [truncated, good(2), good(3)].join("\n")))
    expect(badfirst.map(reasonOf)).toEqual(["Rejected:invalid-json", "document", "document"])
    expect(badfirst[0]).toMatchObject({ location: "line 1", detail: expect.stringMatching(/^not valid JSON: /) })
    expect(badfirst.slice(1).map((i) => expectDocument(i).format)).toEqual(["jsonl", "jsonl"])

    const arrayfirst = await extractAll(file("arrayfirst.jsonl", ["[1,2]", good(2)].join("\n")))
    expect(arrayfirst.map(reasonOf)).toEqual(["Rejected:missing-text-field", "document"])
    expect(arrayfirst[0]).toMatchObject({ location: "line 1", detail: 'expected a JSON object with a string "text" field, got an array' })
  })

  it("a .jsonl file is JSONL whatever line 1 holds, even prose: each line is judged", async () => {
    const items = await extractAll(file("odd.jsonl", "{ this is prose in braces }\nand more prose\n"))
    expect(items.map(reasonOf)).toEqual(["Rejected:invalid-json", "Rejected:invalid-json"])
    expect(items.map((i) => i._tag !== "Document" && i.location)).toEqual(["line 1", "line 2"])
  })

  it("a .jsonl file of blank lines → one empty-file reject, so it does not vanish", async () => {
    const items = await extractAll(file("blank.jsonl", "\n  \r\n\n"))
    expect(items.map(reasonOf)).toEqual(["Rejected:empty-file"])
    expect(items[0]).toMatchObject({ detail: "no records: every line is blank" })
  })

  it("every JSONL extension counts: .jsonl, .ndjson, .jsonlines, in any case", async () => {
    for (const name of ["a.ndjson", "b.jsonlines", "C.JSONL"]) {
      expect((await extractAll(file(name, `[]\n${good(2)}\n`))).map(reasonOf)).toEqual(["Rejected:missing-text-field", "document"])
    }
  })

  it("without a JSONL extension, most of the first 5 lines decide: a bad line 1 is outvoted", async () => {
    const truncated = '{"text": "Ocean heat content rose ag'
    const items = await extractAll(file("badfirst.data", [truncated, good(2), good(3), good(4)].join("\n")))
    expect(items.map(reasonOf)).toEqual(["Rejected:invalid-json", "document", "document", "document"])
    // Two of four is not most: the file is text.
    const even = await extractAll(file("even.data", [truncated, "{ prose }", good(3), good(4)].join("\n")))
    expect(even.map((i) => expectDocument(i).format)).toEqual(["plain-text"])
  })

  it("a non-UTF-8 byte on line 1 rejects that line only, with or without the extension", async () => {
    const body = Buffer.concat([Buffer.from('{"text": "25 ', "utf8"), Buffer.from([0xb0]), Buffer.from(`C"}\n${good(2)}\n${good(3)}\n`, "utf8")])
    for (const name of ["latin1.jsonl", "latin1.data"]) {
      const items = await extractAll(file(name, body))
      expect(items.map(reasonOf)).toEqual(["Rejected:invalid-utf8", "document", "document"])
      expect(items[0]).toMatchObject({ location: "line 1", detail: expect.stringContaining("byte offset 13") })
    }
  })

  it("is not limited by maxFileBytes: a JSONL file larger than it is streamed record by record", async () => {
    const content = Array.from({ length: 200 }, (_, i) => good(i + 1)).join("\n") + "\n"
    const p = file("big.jsonl", content)
    expect(content.length).toBeGreaterThan(10_000)
    const items = await extractAll(p, { ...defaultOptions, maxFileBytes: 1000 })
    expect(items).toHaveLength(200)
    expect(items.map(reasonOf).every((r) => r === "document")).toBe(true)
    // Also when it is recognised by content rather than extension.
    expect(await extractAll(file("big.data", content), { ...defaultOptions, maxFileBytes: 1000 })).toHaveLength(200)
  })

  it("a line over maxRecordBytes → record-too-large at its line, and the file goes on", async () => {
    const limit = 1000
    const long = JSON.stringify({ text: "y".repeat(5000) }) // within one read chunk
    const huge = JSON.stringify({ text: "z".repeat(3 * 1024 * 1024) }) // spans several read chunks
    const exact = JSON.stringify({ text: "w".repeat(limit - 11) }) // exactly at the limit, with CRLF
    expect(Buffer.byteLength(exact)).toBe(limit)
    const content = [good(1), long, good(3), huge, `${exact}\r`, good(6), huge].join("\n") // the last line has no newline
    const items = await extractAll(file("long-lines.jsonl", content), { ...defaultOptions, maxRecordBytes: limit })
    expect(items.map(reasonOf)).toEqual([
      "document",
      "Rejected:record-too-large",
      "document",
      "Rejected:record-too-large",
      "document",
      "document",
      "Rejected:record-too-large"
    ])
    expect(items.map((i) => (i._tag === "Document" ? `line ${i.doc.source_index}` : i.location))).toEqual(
      Array.from({ length: 7 }, (_, i) => `line ${i + 1}`)
    )
    expect(items[1]).toMatchObject({ detail: "the line is longer than the record limit of 1000 bytes; skipped to the next line" })
  })

  it("without a JSONL extension, a first line over maxRecordBytes cannot be sampled, so the file is text", async () => {
    // Nothing says JSONL: the file is text (and here too large for text).
    const huge = JSON.stringify({ text: "z".repeat(3 * 1024 * 1024) })
    const items = await extractAll(file("huge-first.data", `${huge}\n${good(2)}\n`), { ...defaultOptions, maxRecordBytes: 1000, maxFileBytes: 1000 })
    expect(items.map(reasonOf)).toEqual(["Rejected:file-too-large"])
  })

  it("a valid record that cannot be stored → extract-error at its line, and the file goes on", async () => {
    // 100k levels of nesting: JSON.parse copes, JSON.stringify of the metadata overflows the stack.
    const deep = `{"text": "Deep structure in a record.", "x": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`
    const items = await extractAll(file("deep.jsonl", [good(1), deep, good(3)].join("\n")))
    expect(items.map(reasonOf)).toEqual(["document", "Rejected:extract-error", "document"])
    expect(items[1]).toMatchObject({ location: "line 2", detail: expect.stringContaining("nested too deeply") })
  })

  it("streams: a long file with long lines yields every record", async () => {
    const pad = "x".repeat(3000)
    const content = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: i, text: `record ${i} ${pad}` })).join("\n")
    const items = await extractAll(file("long.jsonl", content))
    expect(items).toHaveLength(2000)
    expect(expectDocument(items[1999]).source_index).toBe(2000)
    expect(JSON.parse(expectDocument(items[1234]).metadata)).toEqual({ source_id: 1234, reader: { id: "jsonl", score: 0.99, reason: "extension .jsonl" } })
  })
})

describe("streamed outputs (logs, tables)", () => {
  it("a line longer than the record limit is skipped and counted, not buffered: the log still becomes its document", async () => {
    const header = "LAMMPS (29 Oct 2020)\nunits real\natom_style full\n"
    const thermo = "Step Temp E_pair TotEng Press\n" + Array.from({ length: 20 }, (_, i) => `${i * 100} ${300 + i} -${5000 + i}.5 -${4000 + i}.25 ${i}.5`).join("\n")
    const huge = `WARNING: ${"x".repeat(64 * 1024)}`
    const p = file("run.log", `${header}${huge}\n${thermo}\nLoop time of 1.5 on 1 procs for 2000 steps with 1800 atoms\n`)
    const doc = expectDocument(await extractOne(p, { ...defaultOptions, maxRecordBytes: 4096 }))
    expect(doc).toMatchObject({ kind: "simulation", format: "lammps-log" })
    expect(JSON.parse(doc.metadata).lines_too_long).toBe(1)
    expect(doc.text).not.toContain("x".repeat(100))
  })
})

/**
 * Builders for hard-case PDF inputs (not a test file itself). They write into a folder the test owns
 * (a temp dir), starting from REAL corpus PDFs where that makes sense; nothing is ever written into
 * the repository or the corpus. The qpdf builders need Debian's `qpdf` (see `hasQpdf`).
 */
import { spawnSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { pseudoRandomBytes } from "../../src/demo/sample-corpus.ts"
import { commandWorks, requirePresent } from "../helpers.ts"

export { commandWorks }

export const hasQpdf = requirePresent("qpdf (Debian qpdf; make system-deps)", commandWorks("qpdf"), "the qpdf-built PDF tests")
export const hasTesseract = requirePresent("tesseract (Debian tesseract-ocr; make system-deps)", commandWorks("tesseract"), "the OCR tests")

/**
 * (a) AES-256 encryption with user password "user": readers must ask for a password, so pdfjs throws
 * PasswordException. qpdf exits 3 for "succeeded with warnings", which still wrote the file.
 */
export function encryptWithUserPassword(src: string, dst: string): void {
  runQpdf(["--encrypt", "user", "owner", "256", "--", src, dst])
}

/**
 * (b) AES-256 with an empty user password and only an owner password ("permissions" protection, very
 * common on publisher PDFs): any reader opens it without asking, so it must extract like the original.
 */
export function encryptOwnerOnly(src: string, dst: string): void {
  runQpdf(["--encrypt", "", "owner", "256", "--", src, dst])
}

function runQpdf(args: ReadonlyArray<string>): void {
  const r = spawnSync("qpdf", args, { encoding: "utf8" })
  if (r.status !== 0 && r.status !== 3) throw new Error(`qpdf ${args.join(" ")} failed (${r.status}): ${r.stderr}`)
}

/** (c) The first `fraction` of the file, as left by an interrupted download or a full disk. */
export function truncate(src: string, dst: string, fraction: number): void {
  const bytes = readFileSync(src)
  writeFileSync(dst, bytes.subarray(0, Math.floor(bytes.length * fraction)))
}

/**
 * (d) Damage the middle of the file as a bad disk sector or a botched transfer would, keeping the
 * header and the tail (trailer, startxref, %%EOF) intact so that the file still *looks* complete.
 * The middle 60% is overwritten with a deterministic noise pattern containing no PDF keywords.
 * pdfjs then finds the xref offsets wrong, rebuilds the xref by scanning for `N 0 obj` and finds
 * only the objects outside the damaged run: the catalog or page tree or page objects are gone.
 */
export function corruptMiddle(src: string, dst: string): void {
  const bytes = Buffer.from(readFileSync(src))
  const from = Math.floor(bytes.length * 0.2)
  const to = Math.floor(bytes.length * 0.8)
  const noise = seededBytes(to - from, 0xc0ffee)
  noise.copy(bytes, from)
  writeFileSync(dst, bytes)
}

/**
 * (e) A PDF header, random bytes and an end marker: passes the `%PDF-` sniff and the `%%EOF` check,
 * but has no objects at all.
 */
export function garbagePdf(dst: string, size = 64 * 1024): void {
  writeFileSync(dst, Buffer.concat([Buffer.from("%PDF-1.4\n", "latin1"), seededBytes(size, 42), Buffer.from("\n%%EOF\n", "latin1")]))
}

/**
 * Deterministic noise (xorshift32) drawn from an alphabet without the letters of PDF keywords (no a, b,
 * e, j, m, o, r, s, t, x), so it can never spell `obj`, `endobj`, `stream`, `xref` or `trailer` and
 * fool pdfjs' xref reconstruction into finding objects.
 */
function seededBytes(n: number, seed: number): Buffer {
  const alphabet = Buffer.from("cdfghiklnpquvwyz0123456789 \n", "latin1")
  return Buffer.from(pseudoRandomBytes(n, seed).map((b) => alphabet[b % alphabet.length]!))
}

/**
 * The Japanese and Chinese lines of the CJK fixture: together over the extractor's 20-letters-per-page
 * floor for a text layer (a shorter page would be rejected as a probable scan).
 */
export const CJK_JAPANESE = "日本語のテキストを正しく抽出できるか確認します"
export const CJK_CHINESE = "这是一个中文文本提取测试"

/**
 * (f) A one-page PDF with two lines of CJK text in NON-embedded CID fonts, as produced by many East
 * Asian word processors: Japanese in KozMinPr6N-Regular (Adobe-Japan1) with /Encoding /UniJIS-UCS2-H,
 * Chinese in STSong-Light (Adobe-GB1) with /Encoding /UniGB-UCS2-H. The string bytes are UCS-2 code
 * units, but there is no /ToUnicode: a reader needs the predefined CMaps (UCS-2 → CID, then
 * CID → Unicode through the Adobe-*-UCS2 CMaps) to get the characters back, which is exactly what
 * pdfjs' bundled `cmaps/` folder provides. Written by hand with exact xref offsets.
 */
export function cjkPdf(): Uint8Array {
  const ucs2Hex = (s: string): string => {
    let hex = ""
    for (const ch of s) {
      const cp = ch.codePointAt(0)!
      if (cp > 0xffff) throw new Error("UCS-2 only")
      hex += cp.toString(16).toUpperCase().padStart(4, "0")
    }
    return `<${hex}>`
  }
  const content = [
    `BT /F1 16 Tf 72 700 Td ${ucs2Hex(CJK_JAPANESE)} Tj ET`,
    `BT /F2 16 Tf 72 670 Td ${ucs2Hex(CJK_CHINESE)} Tj ET`
  ].join("\n")
  const type0 = (base: string, encoding: string, descendant: number) =>
    `<< /Type /Font /Subtype /Type0 /BaseFont /${base} /Encoding /${encoding} /DescendantFonts [${descendant} 0 R] >>`
  const cidFont = (base: string, ordering: string, supplement: number, descriptor: number) =>
    `<< /Type /Font /Subtype /CIDFontType0 /BaseFont /${base} /CIDSystemInfo << /Registry (Adobe) /Ordering (${ordering}) /Supplement ${supplement} >> /FontDescriptor ${descriptor} 0 R /DW 1000 >>`
  // No /FontFile: the font is not embedded. Flags 4 = symbolic (CJK fonts are not Latin text fonts).
  const descriptor = (base: string) =>
    `<< /Type /FontDescriptor /FontName /${base} /Flags 4 /FontBBox [0 -120 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 740 /StemV 80 >>`
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>", // 1
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", // 2
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R /F2 8 0 R >> >> /Contents 4 0 R >>", // 3
    `<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}\nendstream`, // 4
    type0("KozMinPr6N-Regular", "UniJIS-UCS2-H", 6), // 5
    cidFont("KozMinPr6N-Regular", "Japan1", 6, 7), // 6
    descriptor("KozMinPr6N-Regular"), // 7
    type0("STSong-Light", "UniGB-UCS2-H", 9), // 8
    cidFont("STSong-Light", "GB1", 4, 10), // 9
    descriptor("STSong-Light") // 10
  ]
  let body = "%PDF-1.4\n"
  const offsets = objects.map((obj, i) => {
    const at = Buffer.byteLength(body, "latin1")
    body += `${i + 1} 0 obj\n${obj}\nendobj\n`
    return at
  })
  const xref = Buffer.byteLength(body, "latin1")
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const at of offsets) body += `${String(at).padStart(10, "0")} 00000 n \n`
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return new Uint8Array(Buffer.from(body, "latin1"))
}

type PdfJsDocument = Awaited<ReturnType<typeof import("pdfjs-dist/legacy/build/pdf.mjs")["getDocument"]>["promise"]>

/**
 * Open `bytes` with pdfjs (legacy build) as the extractor does, run `fn` on the document, then destroy
 * it. `cMaps: false` leaves out the bundled CJK cMaps, `wasm: false` the WebAssembly image decoders
 * (CCITT fax, JBIG2, JPEG 2000): the control experiments that show what each asset folder is for.
 */
export async function withPdfjs<T>(bytes: Uint8Array, { cMaps = true, wasm = true }: { cMaps?: boolean; wasm?: boolean }, fn: (doc: PdfJsDocument) => Promise<T>): Promise<T> {
  const require = createRequire(import.meta.url)
  const assets = path.dirname(require.resolve("pdfjs-dist/package.json"))
  const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs")
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    ...(cMaps ? { cMapUrl: `${assets}/cmaps/`, cMapPacked: true } : {}),
    ...(wasm ? { wasmUrl: `${assets}/wasm/` } : {}),
    standardFontDataUrl: `${assets}/standard_fonts/`,
    useSystemFonts: false,
    verbosity: 0
  })
  try {
    return await fn(await task.promise)
  } finally {
    await task.destroy()
  }
}

/** Page texts as pdfjs reports them: items concatenated, "\n" where pdfjs marks an end of line. */
export const pdfjsPageTexts = (bytes: Uint8Array, options: { cMaps?: boolean }): Promise<string[]> =>
  withPdfjs(bytes, options, async (doc) => {
    const pages: string[] = []
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n)
      const content = await page.getTextContent()
      pages.push(content.items.map((it) => ("str" in it ? it.str + (it.hasEOL ? "\n" : "") : "")).join(""))
      page.cleanup()
    }
    return pages
  })

/**
 * Layout cases a reviewer found, as small PDFs with text placed exactly (src/demo/tiny-pdf.ts), run
 * through the whole extractor: each pins a defect that silently lost, duplicated or reordered text.
 */
import { writeFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { pdfFromContents, textAt } from "../../src/demo/tiny-pdf.ts"
import { tempDir } from "../helpers.ts"
import { defaultOptions, expectDocument, extractOne } from "./support.ts"

const dir = tempDir()
let n = 0
async function extractPages(contents: string[], tail = ""): Promise<{ text: string; meta: Record<string, any> }> {
  const file = path.join(dir, `case-${n++}.pdf`)
  writeFileSync(file, Buffer.concat([Buffer.from(pdfFromContents(contents)), Buffer.from(tail, "latin1")]))
  const doc = expectDocument(await extractOne(file, defaultOptions))
  return { text: doc.text, meta: JSON.parse(doc.metadata) }
}

const sentence = (i: number) => `Sentence ${["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"][i % 10]} of the body text about thermal transport.`

describe("PDF layout cases", () => {
  it("two columns written line by line (left and right text on each baseline) come out column by column", async () => {
    let c = ""
    for (let i = 0; i < 12; i++) {
      // Each baseline: the left line, then a wide jump to the right line, in one text object.
      c += `BT /F1 10 Tf 72 ${700 - 12 * i} Td (Left ${i} measures the cosmic background) Tj 250 0 Td (Right ${i} covers the chemistry here) Tj ET\n`
    }
    const { text } = await extractPages([c])
    const order = [...text.matchAll(/(Left|Right) (\d+)/g)].map((m) => `${m[1]}${m[2]}`)
    expect(order).toEqual([...Array.from({ length: 12 }, (_, i) => `Left${i}`), ...Array.from({ length: 12 }, (_, i) => `Right${i}`)])
  })

  it("reads overprinted (fake bold) text once", async () => {
    let c = textAt(72, 740, "2 Methods of Analysis", 14, "F2") + textAt(72.4, 740, "2 Methods of Analysis", 14, "F2")
    for (let i = 0; i < 6; i++) c += textAt(72, 710 - 14 * i, sentence(i), 11)
    c += textAt(72.3, 710, sentence(0), 11)
    const { text } = await extractPages([c])
    expect(text.match(/Methods of Analysis/g)).toHaveLength(1)
    expect(text.match(/Sentence one/g)).toHaveLength(1)
  })

  it("keeps numbers of tables at the top of pages and a column of years (not headers, page or line numbers)", async () => {
    const table = (page: number) => {
      let t = ""
      for (let r = 0; r < 3; r++) for (let col = 0; col < 5; col++) t += textAt(72 + col * 90, 740 - r * 14, String(page * 1000 + r * 11 + col * 7))
      for (let i = 0; i < 20; i++) t += textAt(72, 690 - 14 * i, `${["Alpha", "Beta", "Gamma"][page - 1]}: ${sentence(i)}`)
      return t
    }
    let years = textAt(72, 740, "Table 1: Annual measurements of the observed quantity at the station.")
    for (let r = 0; r < 40; r++) years += textAt(72, 720 - r * 15, String(1980 + r)) + textAt(160, 720 - r * 15, `measurement at station alpha ${r % 3 === 0 ? "high" : "low"}`) + textAt(400, 720 - r * 15, `${3 + ((r * 7) % 11)}.5`)
    const { text, meta } = await extractPages([table(1), table(2), table(3), years])
    for (const v of [1000, 1011, 2029, 3036, 1980, 1999, 2019]) expect(text).toMatch(new RegExp(`\\b${v}\\b`))
    expect(meta.removed).toMatchObject({ running_lines: 0, page_numbers: 0, line_numbers: 0 })
  })

  it("keeps a 1.5- or double-spaced paragraph whole", async () => {
    const lines = [
      "We measured the thermal conductivity of the samples at room",
      "temperature using the laser flash method described earlier.",
      "The results agree with previous reports within the uncertainty",
      "of the measurement, which we estimate at about five percent.",
      "Samples annealed at higher temperature show a clear increase",
      "in conductivity, consistent with the reduced defect density."
    ]
    for (const leading of [14.4, 18, 24]) {
      let c = ""
      let y = 740
      for (let p = 0; p < 2; p++) {
        lines.forEach((l, i) => {
          c += textAt(i === 0 ? 90 : 72, y, l, 12)
          y -= leading
        })
        y -= leading * 0.5
      }
      const { text } = await extractPages([c])
      expect(text.split("\n\n"), `leading ${leading}`).toEqual([lines.join(" "), lines.join(" ")])
    }
  })

  it("copes with text placed absurdly far off the page", async () => {
    let c = ""
    for (let i = 0; i < 10; i++) c += textAt(72, 700 - 14 * i, sentence(i))
    c += textAt(1e10, 300, "hidden far away") + textAt(3e8, 320, "and here")
    const { text } = await extractPages([c])
    expect(text).toContain("Sentence ten")
  })

  it("accepts junk appended after %%EOF but not a cut-off update after an earlier %%EOF", async () => {
    const body = Array.from({ length: 8 }, (_, i) => textAt(72, 700 - 14 * i, sentence(i))).join("")
    expect((await extractPages([body], "\r\n<html>mail gateway footer</html>\n")).text).toContain("Sentence one")
    const file = path.join(dir, "cut-update.pdf")
    writeFileSync(file, Buffer.concat([Buffer.from(pdfFromContents([body])), Buffer.from("9 0 obj\n<< /Type /Annot /Rect [0 0 1 1", "latin1")]))
    const item = await extractOne(file, defaultOptions)
    expect(item._tag === "Rejected" && item.reason).toBe("corrupt-pdf")
  })
})

/** The line splitter under the JSONL extractor: line numbers, offsets, and the per-line limit across read chunks. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { readLines, type RawLine } from "../../src/ingest/jsonl.ts"

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "scicurate-jsonl-"))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const collect = async (content: Buffer, limit: number): Promise<RawLine[]> => {
  const p = path.join(dir, "lines.jsonl")
  writeFileSync(p, content)
  const out: RawLine[] = []
  for await (const line of readLines(p, limit)) out.push(line)
  return out
}

const summary = (lines: ReadonlyArray<RawLine>) =>
  lines.map((l) => (l._tag === "TooLong" ? `${l.lineNo}:too-long` : `${l.lineNo}@${l.offset}:${l.bytes.length}`))

describe("readLines", () => {
  it("strips LF, CRLF and a leading BOM; offsets point at each line's first byte", async () => {
    const lines = await collect(Buffer.from("\ufeffab\r\ncde\n\nf", "utf8"), 100)
    expect(summary(lines)).toEqual(["1@3:2", "2@7:3", "3@11:0", "4@12:1"])
  })

  // Lines longer than the 1 MiB read chunk take the buffered path, where the limit check allows for
  // the BOM and CR that are stripped later: a line exactly at the limit must still pass.
  it("applies the limit to the line's content, also for lines spanning read chunks", async () => {
    const limit = 1_500_000
    const x = (n: number) => Buffer.alloc(n, 0x78)
    const content = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]), x(limit), Buffer.from("\r\n"), // 1: BOM + exactly the limit + CRLF
      x(limit + 1), Buffer.from("\n"), // 2: one byte over
      Buffer.from("short\n"), // 3
      x(3 * limit), Buffer.from("\r\n"), // 4: far over, skipped across several chunks
      x(limit), Buffer.from("\n"), // 5: exactly the limit
      x(limit + 5) // 6: over, no final newline
    ])
    const lines = await collect(content, limit)
    const at5 = 3 + limit + 2 + limit + 2 + 6 + 3 * limit + 2
    expect(summary(lines)).toEqual(["1@3:1500000", "2:too-long", `3@${3 + limit + 2 + limit + 2}:5`, "4:too-long", `5@${at5}:1500000`, "6:too-long"])
  })

  it("reports an over-long line before reading to its end, so a caller can stop there", async () => {
    const p = path.join(dir, "no-newline.jsonl")
    writeFileSync(p, Buffer.alloc(8 * 1024 * 1024, 0x78))
    const gen = readLines(p, 1000)
    const first = await gen.next()
    expect(first.value).toEqual({ _tag: "TooLong", lineNo: 1 })
    await gen.return(undefined)
  })
})

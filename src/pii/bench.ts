/**
 * The pii figures of `make bench`: documents per second of redactPii over real abstracts, one in
 * `plantEvery` carrying an e-mail address and a phone number, against the bare walk over the same
 * texts' characters (the least any stage reading the text pays). Returns rows; prints nothing.
 * Deterministic: the documents are the shared corpus's abstracts in file order, cycled.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { redactPii } from "./redact.ts"

export interface PiiBenchOptions {
  /** Folder of JSONL files with a `text` field (the shared corpus's text/). */
  readonly abstractsDir: string
  readonly documents?: number
  readonly plantEvery?: number
}

export interface PiiBenchRow {
  /** "bare read" or "redact". */
  readonly step: string
  readonly documents: number
  readonly seconds: number
  readonly docsPerSecond: number
  /** UTF-8 megabytes of text per second. */
  readonly mbPerSecond: number
  /** Sum of the char codes (bare read row): makes the walk's result observable, so it is really done. */
  readonly checksum?: number
  /** Identifiers replaced (redact row): 2 per planted document, nothing else. */
  readonly replaced: number
  readonly planted: number
}

export function benchPii(options: PiiBenchOptions): PiiBenchRow[] {
  const documents = options.documents ?? 100_000
  const plantEvery = options.plantEvery ?? 100
  const abstracts: string[] = []
  for (const file of fs.readdirSync(options.abstractsDir).filter((f) => f.endsWith(".jsonl")).sort()) {
    for (const line of fs.readFileSync(path.join(options.abstractsDir, file), "utf8").split("\n")) {
      const text = line.trim() === "" ? undefined : (JSON.parse(line) as { text?: unknown }).text
      if (typeof text === "string") abstracts.push(text)
    }
  }
  if (abstracts.length === 0) throw new Error(`${options.abstractsDir}: no abstracts to build the benchmark from`)
  const texts: string[] = []
  let bytes = 0
  let planted = 0
  for (let d = 0; d < documents; d++) {
    let text = abstracts[d % abstracts.length]!
    if (d % plantEvery === plantEvery - 1) {
      text = `${text} Correspondence: author${d}@univ-lab.fr, Tel.: +44 20 7946 ${String(d % 10000).padStart(4, "0")}.`
      planted++
    }
    texts.push(text)
    bytes += Buffer.byteLength(text)
  }
  const row = (step: string, seconds: number, replaced: number): PiiBenchRow => ({
    step,
    documents,
    seconds,
    docsPerSecond: documents / seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    replaced,
    planted
  })
  let t = performance.now()
  let checksum = 0
  for (const text of texts) for (let i = 0; i < text.length; i++) checksum = (checksum + text.charCodeAt(i)) | 0
  const bare = { ...row("bare read", (performance.now() - t) / 1000, 0), checksum }
  t = performance.now()
  let replaced = 0
  for (const text of texts) for (const n of Object.values(redactPii(text).counts)) replaced += n
  return [bare, row("redact", (performance.now() - t) / 1000, replaced)]
}

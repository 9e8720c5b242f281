/**
 * The decontamination figures of `make bench`: documents per second for 100,000 documents scanned
 * against 10,000 evaluation items, with the index's build time and memory. Returns rows; prints nothing.
 *
 * Everything is built from the shared corpus's abstracts, deterministically (splitmix32 with a seed):
 * evaluation items are runs of 2–4 consecutive sentences of the even-numbered abstracts; documents are
 * 6–10 sentences drawn from the odd-numbered ones that share no n-gram with an even-numbered one, and
 * one document in `plantEvery` gets an (indexed) evaluation item copied into it verbatim (the `found` column counts how many the judge removed: all of them).
 * Documents are generated batch by batch outside the timed sections, so memory stays flat and the
 * rate is the judge's alone.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { splitmix32 } from "../dedup/minhash/signature.ts"
import type { QualityDocument } from "../quality/document.ts"
import { buildEvalIndex, scanContamination, type EvalItem } from "./index.ts"
import { judgeDecontaminate } from "./judge.ts"
import { DEFAULT_NGRAM } from "./ngrams.ts"

export interface DecontaminationBenchOptions {
  /** Folder of JSONL files with a `text` field (the shared corpus's text/). */
  readonly abstractsDir: string
  readonly documents?: number
  readonly items?: number
  readonly n?: number
  readonly seed?: number
  readonly plantEvery?: number
}

export interface DecontaminationBenchRow {
  /** "index build", "judge remove" or "judge cut". */
  readonly step: string
  readonly documents: number
  readonly items: number
  readonly n: number
  readonly seconds: number
  readonly docsPerSecond: number
  /** UTF-8 megabytes of document text per second (0 for the build row). */
  readonly mbPerSecond: number
  /** Bytes of the index's typed arrays. */
  readonly indexBytes: number
  readonly distinctGrams: number
  /** Process resident set size and V8 heap after the step. */
  readonly rssBytes: number
  readonly heapBytes: number
  readonly planted: number
  /** Planted documents the judge removed (remove) or cut (cut). */
  readonly found: number
  /** Documents removed or changed that had nothing planted (should be 0). */
  readonly unplantedHits: number
}

function sentencesOf(dir: string): { even: string[][]; odd: string[][] } {
  const even: string[][] = []
  const odd: string[][] = []
  let k = 0
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
    for (const line of fs.readFileSync(path.join(dir, file), "utf8").split("\n")) {
      if (line.trim() === "") continue
      const text = (JSON.parse(line) as { text?: unknown }).text
      if (typeof text !== "string") continue
      const sentences = text.split(/(?<=[.!?])\s+/).filter((s) => s.length > 0)
      ;(k++ % 2 === 0 ? even : odd).push(sentences)
    }
  }
  return { even, odd }
}

const BATCH = 1000

export function benchDecontaminate(options: DecontaminationBenchOptions): DecontaminationBenchRow[] {
  const documents = options.documents ?? 100_000
  const itemCount = options.items ?? 10_000
  const n = options.n ?? DEFAULT_NGRAM
  const plantEvery = options.plantEvery ?? 100
  const { even, odd } = sentencesOf(options.abstractsDir)
  if (even.length === 0 || odd.length === 0) throw new Error(`${options.abstractsDir}: no abstracts to build the benchmark from`)
  const rand = splitmix32(options.seed ?? 15)

  const items: EvalItem[] = []
  for (let i = 0; i < itemCount; i++) {
    const abstract = even[rand() % even.length]!
    const length = 2 + (rand() % 3)
    const from = rand() % Math.max(1, abstract.length - length + 1)
    items.push({ id: `item-${i}`, text: abstract.slice(from, from + length).join(" ") })
  }

  const t0 = performance.now()
  const index = buildEvalIndex([{ name: "bench-eval", items }], n)
  const buildSeconds = (performance.now() - t0) / 1000
  // Only indexed items are planted (an item of fewer than n words is listed as too short, not matched).
  const indexed = new Set(index.itemIds)
  const plantable = items.filter((item) => indexed.has(item.id))
  // The shared abstracts repeat a few passages (SciTLDR lists some papers twice): documents are drawn
  // only from abstracts sharing no n-gram with an evaluation-side one, so every hit is a planted copy.
  const evenIndex = buildEvalIndex([{ name: "even", items: even.map((sentences, i) => ({ id: String(i), text: sentences.join(" ") })) }], n)
  const clean = odd.filter((sentences) => scanContamination(sentences.join(" "), evenIndex).matches.length === 0)
  const afterBuild = process.memoryUsage()
  const rows: DecontaminationBenchRow[] = [
    {
      step: "index build",
      documents: 0,
      items: itemCount,
      n,
      seconds: buildSeconds,
      docsPerSecond: 0,
      mbPerSecond: 0,
      indexBytes: index.bytes,
      distinctGrams: index.distinctGrams,
      rssBytes: afterBuild.rss,
      heapBytes: afterBuild.heapUsed,
      planted: 0,
      found: 0,
      unplantedHits: 0
    }
  ]

  for (const mode of ["remove", "cut"] as const) {
    const judge = judgeDecontaminate(index, { mode })
    // The same documents for both modes: a fresh generator with the documents' own seed.
    const docRand = splitmix32((options.seed ?? 15) + 1)
    let seconds = 0
    let bytes = 0
    let planted = 0
    let found = 0
    let unplantedHits = 0
    for (let start = 0; start < documents; start += BATCH) {
      const batch: Array<{ doc: QualityDocument; planted: boolean }> = []
      for (let d = start; d < Math.min(documents, start + BATCH); d++) {
        const parts: string[] = []
        const count = 6 + (docRand() % 5)
        for (let s = 0; s < count; s++) {
          const abstract = clean[docRand() % clean.length]!
          parts.push(abstract[docRand() % abstract.length]!)
        }
        const plant = d % plantEvery === plantEvery - 1
        if (plant) parts.splice(docRand() % parts.length, 0, plantable[docRand() % plantable.length]!.text)
        const text = parts.join(" ")
        bytes += Buffer.byteLength(text)
        batch.push({
          doc: { id: String(d), text, kind: "text", format: "bench", source_path: "bench", source_index: d, title: null, metadata: "{}", bundle: null },
          planted: plant
        })
      }
      const t = performance.now()
      const verdicts = batch.map((b) => judge(b.doc))
      seconds += (performance.now() - t) / 1000
      verdicts.forEach((v, i) => {
        const hit = !v.keep || v.text !== undefined
        if (batch[i]!.planted) {
          planted++
          if (hit) found++
        } else if (hit) unplantedHits++
      })
    }
    const memory = process.memoryUsage()
    rows.push({
      step: `judge ${mode}`,
      documents,
      items: itemCount,
      n,
      seconds,
      docsPerSecond: documents / seconds,
      mbPerSecond: bytes / 1e6 / seconds,
      indexBytes: index.bytes,
      distinctGrams: index.distinctGrams,
      rssBytes: memory.rss,
      heapBytes: memory.heapUsed,
      planted,
      found,
      unplantedHits
    })
  }
  return rows
}

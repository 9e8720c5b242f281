/**
 * The planted-duplicate benchmark corpus (src/dedup/planted.ts, scripts/planted-corpus.ts) on the real
 * shared abstracts: plan and counts, determinism, the truth Jaccards against an independent
 * recomputation, originals far from each other, and evaluateClusters on right and wrong predictions.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { loadAbstracts, type Abstracts } from "../../scripts/planted-corpus.ts"
import { normalizeForShingles } from "../../src/dedup/minhash/normalize.ts"
import {
  COPY_KINDS,
  JACCARD_BANDS,
  buildSentencePool,
  evaluateClusters,
  generatePlantedCorpus,
  jaccard5,
  plantedConfig,
  type PlantedCorpus,
  type PlantedDocument,
  type RemovedDocument,
  type SentencePool,
  type TruthRecord
} from "../../src/dedup/planted.ts"
import { filesUnder, repoRoot, tempDir } from "../helpers.ts"

const abstractsDir = path.resolve(repoRoot, "../shared/corpus/text")
const hasAbstracts = fs.existsSync(abstractsDir)
if (!hasAbstracts) console.warn(`[planted corpus tests] ${abstractsDir} is absent: the planted-corpus tests are skipped`)

const DOCS = 2000
const SEED = 11

/** The truth's Jaccard recomputed without the module's helpers: shingle lists sorted and merged. */
function independentJaccard(a: string, b: string): { shared: number; union: number } {
  const shingles = (text: string): string[] => {
    const w = normalizeForShingles(text).split(" ")
    const list = w.length < 5 ? [w.join(" ")] : w.slice(0, w.length - 4).map((_, i) => w.slice(i, i + 5).join(" "))
    return [...new Set(list)].sort()
  }
  const x = shingles(a)
  const y = shingles(b)
  let i = 0
  let j = 0
  let shared = 0
  while (i < x.length && j < y.length) {
    const xi = x[i] ?? ""
    const yj = y[j] ?? ""
    if (xi === yj) {
      shared++
      i++
      j++
    } else if (xi < yj) i++
    else j++
  }
  return { shared, union: x.length + y.length - shared }
}

/** A tiny seeded LCG for the test's own sampling. */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return Math.floor((s / 4294967296) * n)
  }
}

describe.skipIf(!hasAbstracts)("planted-duplicate corpus", () => {
  let abstracts: Abstracts
  let pool: SentencePool
  let corpus: PlantedCorpus
  let docs: PlantedDocument[]
  let truth: TruthRecord[]
  const text = new Map<string, string>()

  beforeAll(() => {
    abstracts = loadAbstracts(abstractsDir)
    pool = buildSentencePool(abstracts.texts)
    ;({ corpus, docs, truth } = generatePlantedCorpus(pool, plantedConfig({ docs: DOCS, seed: SEED })))
    for (const d of docs) text.set(d.id, d.text)
  })

  it("has the planned numbers of originals, copies and kinds, with opaque unique ids", () => {
    expect(docs).toHaveLength(DOCS)
    expect(new Set(docs.map((d) => d.id)).size).toBe(DOCS)
    for (const d of docs) expect(d.id).toMatch(/^doc-\d{7}$/)
    expect(corpus.copies).toBe(500)
    expect(corpus.originals).toBe(1500)
    expect(truth).toHaveLength(500)

    const byKind = Object.fromEntries(COPY_KINDS.map((k) => [k, truth.filter((t) => t.kind === k).length]))
    expect(byKind).toEqual(corpus.kindCounts())
    // 20% exact, 5% format, 37.5% scattered, 37.5% span of 500 copies (largest remainder).
    expect(byKind).toEqual({ exact: 100, format: 25, scattered: 188, span: 187 })

    const copyIds = new Set(truth.map((t) => t.id))
    const families = new Map<string, Set<string>>()
    for (const t of truth) {
      expect(text.has(t.id)).toBe(true)
      expect(text.has(t.original_id)).toBe(true)
      expect(copyIds.has(t.original_id)).toBe(false) // copies are of originals, never of copies
      const f = families.get(t.family_id) ?? new Set<string>([t.original_id])
      f.add(t.id)
      families.set(t.family_id, f)
    }
    expect(families.size).toBe(corpus.families)
    for (const members of families.values()) {
      expect(members.size).toBeGreaterThanOrEqual(2)
      expect(members.size).toBeLessThanOrEqual(5)
    }
    // Truth is in id order, and copies are spread through the output, not next to their originals.
    expect(truth.map((t) => t.id)).toEqual([...truth.map((t) => t.id)].sort())
    const position = (id: string) => Number(id.slice(4))
    const gaps = truth.map((t) => Math.abs(position(t.id) - position(t.original_id)))
    expect(gaps.filter((g) => g === 1).length).toBeLessThan(5)

    const words = docs.map((d) => d.text.split(/\s+/u).length)
    const bytes = docs.reduce((a, d) => a + Buffer.byteLength(d.text), 0) / DOCS
    console.log(`[planted] ${DOCS} docs: ${Math.min(...words)}–${Math.max(...words)} words, mean ${(bytes / 1000).toFixed(2)} KB/doc`)
    expect(bytes).toBeGreaterThan(3000)
    expect(bytes).toBeLessThan(5500)
  })

  it("is deterministic: same seed, same corpus; another seed, another corpus", () => {
    const again = generatePlantedCorpus(pool, plantedConfig({ docs: DOCS, seed: SEED }))
    expect(again.docs).toEqual(docs)
    expect(again.truth).toEqual(truth)
    const other = generatePlantedCorpus(pool, plantedConfig({ docs: 200, seed: SEED + 1 }))
    expect(other.docs[0]?.text).not.toBe(docs[0]?.text)
    // Any single document regenerates alone, identical to the streamed one.
    for (const p of [0, 7, 1234, DOCS - 1]) expect(corpus.document(p).text).toBe(docs[p]?.text)
  })

  it("gives exact and format-only copies Jaccard 1, and edited copies less", () => {
    for (const t of truth.filter((r) => r.kind === "exact")) {
      expect(text.get(t.id)).toBe(text.get(t.original_id))
      expect(t.jaccard).toBe(1)
      expect(t.edit_fraction).toBe(0)
    }
    const format = truth.filter((r) => r.kind === "format")
    for (const t of format) {
      expect(t.jaccard).toBe(1)
      expect(normalizeForShingles(text.get(t.id) ?? "")).toBe(normalizeForShingles(text.get(t.original_id) ?? ""))
    }
    expect(format.filter((t) => text.get(t.id) !== text.get(t.original_id)).length).toBeGreaterThanOrEqual(format.length - 1)

    // A scattered edit of a fraction f of the words touches at most 5 shingles per edit and at least
    // one, so J lies between (1-5f)/(1+5f) and (1-f)/(1+f). A span edit touches about f of them plus
    // the span boundaries: J stays near 1 - f (deletions) to (1-f)/(1+f) (replacements, insertions).
    for (const t of truth.filter((r) => r.kind === "scattered" || r.kind === "span")) {
      const f = t.edit_fraction
      expect(f).toBeGreaterThanOrEqual(0.008)
      expect(f).toBeLessThanOrEqual(0.102)
      expect(t.jaccard).toBeLessThan(1)
      if (t.kind === "scattered") {
        expect(t.jaccard).toBeGreaterThan((1 - 5 * f) / (1 + 5 * f) - 0.05)
        expect(t.jaccard).toBeLessThan((1 - f) / (1 + f))
      } else {
        expect(t.jaccard).toBeGreaterThan((1 - f) / (1 + f) - 0.15)
        expect(t.jaccard).toBeLessThan(1 - f / 2)
      }
    }
    const mean = (rs: TruthRecord[]) => rs.reduce((a, r) => a + r.jaccard, 0) / rs.length
    const scattered = truth.filter((r) => r.kind === "scattered")
    expect(mean(scattered.filter((r) => r.edit_fraction < 0.03))).toBeGreaterThan(mean(scattered.filter((r) => r.edit_fraction > 0.07)))
    const span = truth.filter((r) => r.kind === "span")
    expect(mean(span)).toBeGreaterThan(mean(scattered))
  })

  it("records Jaccards that an independent recomputation reproduces", () => {
    const pick = lcg(5)
    const sample = [...COPY_KINDS.map((k) => truth.find((t) => t.kind === k)), ...Array.from({ length: 120 }, () => truth[pick(truth.length)])]
    for (const t of sample) {
      if (t === undefined) throw new Error("no copy of some kind in the sample")
      const { shared, union } = independentJaccard(text.get(t.id) ?? "", text.get(t.original_id) ?? "")
      expect({ id: t.id, shared: t.shared_shingles, union: t.union_shingles }).toEqual({ id: t.id, shared, union })
      expect(t.jaccard).toBe(shared / union)
      expect(jaccard5(text.get(t.id) ?? "", text.get(t.original_id) ?? "")).toBe(t.jaccard)
    }
  })

  it("keeps originals far from each other, also when they share sentences", () => {
    const originals = Array.from({ length: corpus.originals }, (_, i) => i)
    const sets = originals.map((i) => {
      const set = new Set<string>()
      const w = normalizeForShingles(text.get(corpus.originalId(i)) ?? "").split(" ")
      for (let k = 0; k + 5 <= w.length; k++) set.add(w.slice(k, k + 5).join(" "))
      return set
    })
    const jac = (a: number, b: number) => {
      const x = sets[a] ?? new Set<string>()
      const y = sets[b] ?? new Set<string>()
      let shared = 0
      for (const s of x) if (y.has(s)) shared++
      return shared / (x.size + y.size - shared)
    }
    const pick = lcg(9)
    let maxRandom = 0
    for (let n = 0; n < 2000; n++) {
      const a = pick(originals.length)
      const b = pick(originals.length)
      if (a !== b) maxRandom = Math.max(maxRandom, jac(a, b))
    }
    // Every pair of originals that drew at least one common pool sentence.
    const bySentence = new Map<number, number[]>()
    for (const i of originals)
      for (const s of new Set(corpus.original(i).sentences)) bySentence.set(s, [...(bySentence.get(s) ?? []), i])
    const sharing = new Map<string, number>()
    for (const list of bySentence.values())
      for (let x = 0; x < list.length; x++)
        for (let y = x + 1; y < list.length; y++) {
          const key = `${list[x]},${list[y]}`
          sharing.set(key, (sharing.get(key) ?? 0) + 1)
        }
    let maxSharing = 0
    let mostShared = 0
    for (const [key, n] of sharing) {
      const [a = 0, b = 0] = key.split(",").map(Number)
      maxSharing = Math.max(maxSharing, jac(a, b))
      mostShared = Math.max(mostShared, n)
    }
    console.log(
      `[planted] originals: max 5-gram Jaccard ${maxRandom.toFixed(3)} over 2,000 random pairs, ` +
        `${maxSharing.toFixed(3)} over the ${sharing.size} pairs sharing a sentence (at most ${mostShared} shared)`
    )
    expect(sharing.size).toBeGreaterThan(1000)
    expect(maxRandom).toBeLessThan(0.2)
    expect(maxSharing).toBeLessThan(0.25)
  })

  describe("evaluateClusters", () => {
    const copiesOf = () => {
      const m = new Map<string, TruthRecord[]>()
      for (const t of truth) m.set(t.original_id, [...(m.get(t.original_id) ?? []), t])
      return m
    }

    it("scores the truth itself as perfect, whichever family member is kept", () => {
      const keepOriginal = truth.map((t) => ({ id: t.id, kept_id: t.original_id }))
      const e = evaluateClusters(truth, keepOriginal)
      expect(e.pairPrecision).toBe(1)
      expect(e.recall.recall).toBe(1)
      expect(e.recall.copies).toBe(truth.filter((t) => t.jaccard >= 0.8).length)
      for (const k of COPY_KINDS) expect(e.recallByKind[k].recall).toBe(1)
      for (const b of JACCARD_BANDS) expect(e.recallByBand[b].recall ?? 1).toBe(1)
      expect(e.wronglyRemoved).toEqual({ originals: 0, copies: 0 })

      // Keep each family's first copy: the original and the other copies are removed for it.
      const keepCopy: RemovedDocument[] = []
      for (const [original, copies] of copiesOf()) {
        const [kept, ...rest] = copies
        if (kept === undefined) continue
        keepCopy.push({ id: original, kept_id: kept.id }, ...rest.map((c) => ({ id: c.id, kept_id: kept.id })))
      }
      const e2 = evaluateClusters(truth, keepCopy)
      expect(e2.pairPrecision).toBe(1)
      expect(e2.recall.recall).toBe(1)
      expect(e2.wronglyRemoved).toEqual({ originals: 0, copies: 0 })
    })

    it("lowers precision for a wrong pair and recall for a missed copy", () => {
      const perfect = truth.map((t) => ({ id: t.id, kept_id: t.original_id }))
      const inTruth = new Set(truth.flatMap((t) => [t.id, t.original_id]))
      const [loner1, loner2] = docs.filter((d) => !inTruth.has(d.id)).map((d) => d.id)
      if (loner1 === undefined || loner2 === undefined) throw new Error("no originals without copies")

      // A wrong pair: an original without copies removed in favour of an unrelated one.
      const wrong = evaluateClusters(truth, [...perfect, { id: loner1, kept_id: loner2 }])
      expect(wrong.predictedPairs).toBe(truth.length + 1)
      expect(wrong.correctPairs).toBe(truth.length)
      expect(wrong.pairPrecision).toBe(truth.length / (truth.length + 1))
      expect(wrong.recall.recall).toBe(1)
      expect(wrong.wronglyRemoved).toEqual({ originals: 1, copies: 0 })

      // A missed copy (kept although it is a span copy at J ≥ 0.8).
      const missed = truth.find((t) => t.kind === "span" && t.jaccard >= 0.8)
      if (missed === undefined) throw new Error("no span copy at J ≥ 0.8")
      const e = evaluateClusters(truth, perfect.filter((r) => r.id !== missed.id))
      const atT = truth.filter((t) => t.jaccard >= 0.8).length
      expect(e.pairPrecision).toBe(1)
      expect(e.recall).toEqual({ copies: atT, found: atT - 1, recall: (atT - 1) / atT })
      const spans = truth.filter((t) => t.kind === "span").length
      expect(e.recallByKind.span).toEqual({ copies: spans, found: spans - 1, recall: (spans - 1) / spans })
      expect(e.recallByKind.exact.recall).toBe(1)

      // Nothing removed: no precision to speak of, nothing found.
      const none = evaluateClusters(truth, [])
      expect(none.pairPrecision).toBeNull()
      expect(none.recall.found).toBe(0)
    })

    it("follows the stated definitions on a hand-made truth", () => {
      const t = (id: string, original_id: string, kind: TruthRecord["kind"], jaccard: number) => ({ id, original_id, kind, jaccard })
      const small = [
        t("c1", "o1", "exact", 1),
        t("c2", "o1", "span", 0.85),
        t("c3", "o2", "scattered", 0.6),
        t("c4", "o3", "scattered", 0.95)
      ]
      const e = evaluateClusters(small, [
        { id: "o1", kept_id: "c1" }, // original removed for its copy: c1 found
        { id: "c2", kept_id: "c1" }, // two copies of one original: a correct pair, c2 found (same cluster as o1)
        { id: "c3", kept_id: "o1" }, // wrong family: a wrong pair, c3 not found, c3 wrongly removed
        { id: "s1", kept_id: "s2" }, // two singletons: wrong pair, an original wrongly removed
        { id: "o3", kept_id: "c4" } // correct
      ])
      expect(e.predictedPairs).toBe(5)
      expect(e.correctPairs).toBe(3)
      expect(e.pairPrecision).toBe(0.6)
      expect(e.recall).toEqual({ copies: 3, found: 3, recall: 1 }) // c1, c2, c4 at J ≥ 0.8
      expect(e.recallByKind.scattered).toEqual({ copies: 2, found: 1, recall: 0.5 })
      expect(e.recallByKind.format).toEqual({ copies: 0, found: 0, recall: null })
      expect(e.recallByBand["0.5_0.8"]).toEqual({ copies: 1, found: 0, recall: 0 })
      expect(e.recallByBand["0.8_0.9"]).toEqual({ copies: 1, found: 1, recall: 1 })
      expect(e.wronglyRemoved).toEqual({ originals: 1, copies: 1 })
      // A chain of removals is followed to the document finally kept.
      const chain = evaluateClusters(small, [
        { id: "c2", kept_id: "c1" },
        { id: "c1", kept_id: "o1" }
      ])
      expect(chain.recallByKind.span.found).toBe(1)
      expect(() => evaluateClusters(small, [{ id: "c1", kept_id: "c1" }])).toThrow(/itself/)
      expect(() => evaluateClusters(small, [{ id: "c1", kept_id: "o1" }, { id: "c1", kept_id: "c2" }])).toThrow(/twice/)
    })
  })

  describe("scripts/planted-corpus.ts", () => {
    const script = path.join(repoRoot, "scripts/planted-corpus.ts")
    const run = (args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: repoRoot, encoding: "utf8", timeout: 300_000 })

    it("writes parts, truth and summary, byte-identical for the same seed and size", () => {
      const dir = tempDir("scicurate-planted-")
      const args = ["--docs", "300", "--seed", "4", "--docs-per-part", "100", "--abstracts", abstractsDir]
      const a = run([...args, "--out", path.join(dir, "a")])
      expect(a.stderr).toBe("")
      expect(a.status).toBe(0)
      const b = run([...args, "--out", path.join(dir, "b")])
      expect(b.status).toBe(0)
      const filesA = filesUnder(path.join(dir, "a"))
      const filesB = filesUnder(path.join(dir, "b"))
      expect([...filesA.keys()]).toEqual(["docs/part-00000.jsonl", "docs/part-00001.jsonl", "docs/part-00002.jsonl", "summary.json", "truth.jsonl"])
      expect([...filesB.keys()]).toEqual([...filesA.keys()])
      for (const [name, bytes] of filesA) expect(bytes.equals(filesB.get(name) ?? Buffer.alloc(0)), name).toBe(true)
      expect(fs.readdirSync(dir).sort()).toEqual(["a", "b"]) // no temporary folders left behind

      const lines = [...filesA]
        .filter(([n]) => n.startsWith("docs/"))
        .flatMap(([, buf]) => buf.toString("utf8").trimEnd().split("\n"))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(lines).toHaveLength(300)
      for (const l of lines) expect(Object.keys(l)).toEqual(["id", "text"])
      const summary = JSON.parse(filesA.get("summary.json")?.toString("utf8") ?? "{}")
      expect(summary).toMatchObject({ docs: 300, seed: 4, originals: 225, copies: 75, parts: 3 })
      const truthLines = (filesA.get("truth.jsonl")?.toString("utf8") ?? "").trimEnd().split("\n")
      expect(truthLines).toHaveLength(75)
      // The files hold what the in-process generator makes.
      const mem = generatePlantedCorpus(pool, plantedConfig({ docs: 300, seed: 4 }))
      expect(lines).toEqual(mem.docs)
      expect(truthLines.map((l) => JSON.parse(l))).toEqual(mem.truth)

      // A second run replaces an earlier planted corpus; an unrelated folder is left alone.
      expect(run([...args, "--out", path.join(dir, "a")]).status).toBe(0)
      const other = path.join(dir, "other")
      fs.mkdirSync(other)
      fs.writeFileSync(path.join(other, "keep.txt"), "x")
      const refused = run([...args, "--out", other])
      expect(refused.status).toBe(1)
      expect(refused.stderr).toMatch(/refusing to replace/)
      expect(fs.readdirSync(other)).toEqual(["keep.txt"])
    })

    it("skips with a message when the abstracts folder is absent", () => {
      const dir = tempDir("scicurate-planted-")
      const r = run(["--docs", "10", "--out", path.join(dir, "out"), "--abstracts", path.join(dir, "missing")])
      expect(r.status).toBe(0)
      expect(r.stderr).toMatch(/skipped: the abstracts folder .* is absent/)
      expect(fs.existsSync(path.join(dir, "out"))).toBe(false)
    })
  })
})

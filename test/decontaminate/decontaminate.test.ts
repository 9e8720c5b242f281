/**
 * Decontamination (src/decontaminate/) on real text: evaluation sets built by the test from PubMedQA
 * (question + long answer) and SciTLDR (the TLDR) items of the shared corpus and read back with
 * readEvalSet; copies of their items planted, verbatim and lightly edited (case, punctuation, a word
 * changed in the middle, line breaks, accents and ligatures), inside other abstracts must be found with
 * the right set and item; the abstracts that are not copies must not be; cut mode removes exactly the
 * copied passage and leaves the text around it intact. Also: normalisation, too-short items, the
 * judge's verdicts and the errors of readEvalSet.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { splitmix32 } from "../../src/dedup/minhash/signature.ts"
import { buildEvalIndex, evalIndexSummary, findContamination, parseEvalSet, readEvalSet, type EvalIndex, type EvalSet } from "../../src/decontaminate/index.ts"
import { benchDecontaminate } from "../../src/decontaminate/bench.ts"
import { cutPassages, judgeDecontaminate } from "../../src/decontaminate/judge.ts"
import { NgramBuffer, ngrams, normalizedWords, tokenize } from "../../src/decontaminate/ngrams.ts"
import type { QualityDocument } from "../../src/quality/document.ts"
import { corpusDir, hasCorpus, tempDir } from "../helpers.ts"

const doc = (text: string): QualityDocument => ({
  id: "d",
  text,
  kind: "text",
  format: "jsonl",
  source_path: "x.jsonl",
  source_index: 1,
  title: null,
  metadata: "{}",
  bundle: null
})

describe("normalisation", () => {
  it("folds case, punctuation, apostrophes, accents, ligatures and compatibility forms; keeps each word's range", () => {
    expect(normalizedWords("Don't stop—the Café’s ﬁne: p<0.05, well-known X² ＡＢＣ")).toEqual(
      ["dont", "stop", "the", "cafes", "fine", "p", "0", "05", "well", "known", "x2", "abc"]
    )
    const text = "  Résumé of\nthe (first) run. "
    const buffer = new NgramBuffer()
    expect(tokenize(text, buffer)).toBe(5)
    const ranges = Array.from({ length: 5 }, (_, w) => text.slice(buffer.wordStart[w], buffer.wordEnd[w]))
    expect(ranges).toEqual(["Résumé", "of", "the", "first", "run"])
  })
})

describe("n-gram hashes", () => {
  it("the rolling hash at every position equals the hash of those n words on their own, for any n", () => {
    const text = "Mitochondrial dynamics were delineated into four categories (M1-M4) based on characteristics including distribution, " +
      "motility, and membrane potential; a TUNEL assay showed fragmented nDNA in a gradient over these mitochondrial stages."
    const whole = new NgramBuffer()
    const part = new NgramBuffer()
    for (const n of [1, 2, 5, 13]) {
      const words = tokenize(text, whole)
      const count = ngrams(whole, n)
      expect(count).toBe(words - n + 1)
      for (let i = 0; i < count; i++) {
        tokenize(text.slice(whole.wordStart[i], whole.wordEnd[i + n - 1]), part)
        expect(ngrams(part, n)).toBe(1)
        expect([part.gramLo[0], part.gramHi[0]], `n=${n} i=${i}`).toEqual([whole.gramLo[i], whole.gramHi[i]])
      }
      // Distinct word runs, distinct hashes (no collision among this text's n-grams).
      const keys = new Set(Array.from({ length: count }, (_, i) => `${whole.gramLo[i]}:${whole.gramHi[i]}`))
      const runs = new Set(Array.from({ length: count }, (_, i) => normalizedWords(text).slice(i, i + n).join(" ")))
      expect(keys.size).toBe(runs.size)
    }
  })
})

// ---- evaluation sets and documents from the shared corpus ---------------------------------------

interface Corpus {
  readonly pubmedqa: ReadonlyArray<Record<string, unknown>>
  readonly scitldr: ReadonlyArray<Record<string, unknown>>
}

const readJsonl = (file: string): Array<Record<string, unknown>> =>
  fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, unknown>)

/** The first EVAL_ITEMS of each file are evaluation items; documents come from the rest. */
const EVAL_ITEMS = 300

function writeEvalFiles(corpus: Corpus, dir: string): { pubmedqa: string; scitldr: string } {
  const pubmedqa = path.join(dir, "pubmedqa.jsonl")
  const scitldr = path.join(dir, "scitldr.jsonl")
  const keep = (r: Record<string, unknown>, fields: ReadonlyArray<string>) => JSON.stringify(Object.fromEntries(fields.map((f) => [f, r[f]])))
  fs.writeFileSync(pubmedqa, corpus.pubmedqa.slice(0, EVAL_ITEMS).map((r) => keep(r, ["id", "QUESTION", "LONG_ANSWER", "final_decision"])).join("\n"))
  fs.writeFileSync(scitldr, corpus.scitldr.slice(0, EVAL_ITEMS).map((r) => keep(r, ["paper_id", "target", "title"])).join("\n"))
  return { pubmedqa, scitldr }
}

type Edit = "verbatim" | "case" | "punctuation" | "changed word" | "line breaks" | "accents"

/** A lightly edited copy of `text`: the kinds of difference a copy picked up from the web has. */
function edited(text: string, edit: Edit, rand: () => number): string {
  switch (edit) {
    case "verbatim":
      return text
    case "case":
      return text.toUpperCase()
    case "punctuation":
      return text.replace(/[,;:]/g, "").replace(/\. /g, "; ").replace(/-/g, " ").replace(/"/g, "'")
    case "changed word": {
      const words = text.split(" ")
      const middle = Math.floor(words.length / 2)
      words[middle] = rand() % 2 === 0 ? "substantially" : "Nevertheless"
      return words.join(" ")
    }
    case "line breaks":
      return text.split(" ").map((w, i) => (i % 9 === 8 ? `${w}\n` : `${w} `)).join("").trimEnd()
    case "accents":
      return text.replace(/e/g, "é").replace(/fi/g, "ﬁ")
  }
}

/**
 * Whether a word changed in the middle (as `edited` does) leaves n = 13 words unchanged on both sides:
 * an n-gram covering the changed word cannot match, so only then is the whole copy matched up to its ends.
 */
function changeLeavesGrams(text: string): boolean {
  const words = text.split(" ")
  const middle = Math.floor(words.length / 2)
  return normalizedWords(words.slice(0, middle).join(" ")).length >= 13 && normalizedWords(words.slice(middle + 1).join(" ")).length >= 13
}

const EDITS: ReadonlyArray<Edit> = ["verbatim", "case", "punctuation", "changed word", "line breaks", "accents"]

describe.skipIf(!hasCorpus)("planted copies of evaluation items in real abstracts", () => {
  let corpus: Corpus
  let sets: EvalSet[]
  let index: EvalIndex
  let documents: ReadonlyArray<{ id: string; text: string }>

  beforeAll(() => {
    corpus = {
      pubmedqa: readJsonl(path.join(corpusDir, "text", "pubmedqa_ori_pqal.jsonl")),
      scitldr: readJsonl(path.join(corpusDir, "text", "scitldr_A_train.jsonl"))
    }
    const files = writeEvalFiles(corpus, tempDir("scicurate-decon-"))
    sets = [readEvalSet(files.pubmedqa, ["QUESTION", "LONG_ANSWER"], "id"), readEvalSet(files.scitldr, ["target"], "paper_id")]
    index = buildEvalIndex(sets, 13)
    // PubMedQA abstracts hold their own long answer: only those of items outside the set are clean documents.
    documents = [...corpus.pubmedqa.slice(EVAL_ITEMS), ...corpus.scitldr.slice(EVAL_ITEMS)].map((r) => ({ id: String(r.id), text: String(r.text) }))
  })

  it("reads the sets with ids from the id field and indexes every item of 13 words or more", () => {
    expect(sets.map((s) => [s.name, s.items.length])).toEqual([["pubmedqa", EVAL_ITEMS], ["scitldr", EVAL_ITEMS]])
    expect(sets[0]!.items[0]!.id).toBe(String(corpus.pubmedqa[0]!.id))
    expect(sets[0]!.items[0]!.text).toBe(`${corpus.pubmedqa[0]!.QUESTION}\n${corpus.pubmedqa[0]!.LONG_ANSWER}`)
    for (const short of index.tooShort) expect(short.words).toBeLessThan(13)
    expect(index.itemIds.length + index.tooShort.length).toBe(2 * EVAL_ITEMS)
    const { itemIds, distinctGrams, bytes, tooShort } = index
    console.log(`[decontaminate] ${itemIds.length} items indexed (${distinctGrams} distinct 13-grams, ${bytes} bytes), ${tooShort.length} too short`)
  })

  it("finds verbatim and lightly edited copies with the right set and item, and nothing else", () => {
    const rand = splitmix32(15)
    const perEdit = new Map<Edit, { planted: number; found: number }>()
    const wrong: string[] = []
    let planted = 0
    for (let k = 0; k < 600; k++) {
      const set = sets[Math.floor(k / EDITS.length) % 2]!
      const item = set.items[(k * 37) % EVAL_ITEMS]!
      const edit = EDITS[k % EDITS.length]!
      const words = normalizedWords(item.text).length
      if (words < 13 || (edit === "changed word" && !changeLeavesGrams(item.text))) continue
      const host = documents[(k * 101) % documents.length]!.text
      const cut = host.indexOf(". ", host.length >> 1)
      const at = cut < 0 ? host.length : cut + 2
      const text = `${host.slice(0, at)}${edited(item.text, edit, rand)} ${host.slice(at)}`
      const stat = perEdit.get(edit) ?? { planted: 0, found: 0 }
      perEdit.set(edit, stat)
      stat.planted++
      planted++
      const matches = findContamination(text, index)
      if (matches.some((m) => m.set === set.name && m.item === item.id)) stat.found++
      for (const m of matches) if (m.set !== set.name || m.item !== item.id) wrong.push(`${set.name}/${item.id} (${edit}) also matched ${m.set}/${m.item}`)
    }
    console.log(`[decontaminate recall] ${[...perEdit].map(([e, s]) => `${e} ${s.found}/${s.planted}`).join(", ")}; other items matched: ${wrong.length}`)
    expect(planted).toBeGreaterThan(400)
    for (const [edit, s] of perEdit) expect(s.found, edit).toBe(s.planted)
    expect(wrong).toEqual([])
  })

  it("finds nothing in abstracts that copy no evaluation item", () => {
    const flagged = documents.filter((d) => findContamination(d.text, index).length > 0).map((d) => d.id)
    expect(documents.length).toBeGreaterThan(2000)
    expect(flagged).toEqual([])
  })

  it("finds each PubMedQA abstract of the set contaminated by its own long answer: the real leak this stage exists for", () => {
    const leaked = corpus.pubmedqa
      .slice(0, EVAL_ITEMS)
      .filter((r) => findContamination(String(r.text), index).some((m) => m.set === "pubmedqa" && m.item === String(r.id)))
    // Items whose 13-grams all straddle the question and the answer have none inside the abstract.
    expect(leaked.length).toBeGreaterThan(EVAL_ITEMS * 0.95)
  })

  it("cut mode removes exactly the copied passage and keeps the text around it", () => {
    const judge = judgeDecontaminate(index, { mode: "cut" })
    for (let k = 0; k < 40; k++) {
      const item = sets[0]!.items[k]!
      const before = documents[k]!.text
      const after = documents[k + 100]!.text
      for (const edit of ["verbatim", "case", "punctuation", "line breaks", "changed word"] as const) {
        if (edit === "changed word" && !changeLeavesGrams(item.text)) continue
        const text = `${before} ${edited(item.text, edit, () => 0)} ${after}`
        const verdict = judge(doc(text))
        expect(verdict.keep).toBe(true)
        if (!verdict.keep) continue
        expect(verdict.text, `${item.id} ${edit}`).toBe(`${before} ${after}`)
        expect(verdict.facts).toMatchObject({ decontamination: [{ set: "pubmedqa", item: item.id }] })
      }
    }
  })

  it("cut mode still removes a document that is mostly an evaluation item, and remove mode any contaminated one", () => {
    const item = sets[0]!.items[3]!
    const mostly = doc(`Summary. ${item.text} See the full paper.`)
    const cutVerdict = judgeDecontaminate(index, { mode: "cut" })(mostly)
    expect(cutVerdict).toMatchObject({ keep: false, reason: "contaminated" })
    const some = doc(`${documents[0]!.text} ${item.text} ${documents[1]!.text}`)
    const verdict = judgeDecontaminate(index, { mode: "remove" })(some)
    expect(verdict.keep).toBe(false)
    if (verdict.keep) return
    const k = findContamination(some.text, index)[0]!.ngrams
    expect(verdict.detail).toBe(`13-gram overlap with pubmedqa item ${item.id} (${k} matches)`)
    expect(verdict.scores.matched_ngrams).toBe(k)
    expect(verdict.scores.matched_fraction).toBeGreaterThan(0)
    expect(verdict.scores.matched_fraction).toBeLessThan(0.5)
    expect(verdict.facts).toEqual({ decontamination: [expect.objectContaining({ set: "pubmedqa", item: item.id, ngrams: k })] })
    // A clean document is kept untouched in both modes; min_matches above the overlap keeps it too.
    expect(judgeDecontaminate(index, { mode: "remove" })(doc(documents[2]!.text))).toEqual({ keep: true })
    expect(judgeDecontaminate(index, { mode: "remove", min_matches: k + 1 })(some)).toEqual({ keep: true })
  })
})

describe.skipIf(!hasCorpus)("the bench's own documents", () => {
  it("are deterministic, and the judge finds every planted copy and nothing else in both modes", () => {
    const options = { abstractsDir: path.join(corpusDir, "text"), documents: 3000, items: 500, plantEvery: 30 }
    const rows = benchDecontaminate(options)
    expect(rows.map((r) => r.step)).toEqual(["index build", "judge remove", "judge cut"])
    for (const row of rows.slice(1)) expect(row).toMatchObject({ documents: 3000, items: 500, planted: 100, found: 100, unplantedHits: 0 })
    expect(benchDecontaminate(options)[0]!.distinctGrams).toBe(rows[0]!.distinctGrams)
  })
})

describe("the index on small inline sets", () => {
  const question = "Which enzyme converts angiotensin one into angiotensin two in the lungs of mammals and birds?"
  const answer = "Angiotensin converting enzyme, a zinc metalloprotease, cleaves the carboxy terminal dipeptide of angiotensin one."

  it("names every set and item an n-gram belongs to, lists items shorter than n, and merges overlapping ranges", () => {
    const index = buildEvalIndex(
      [
        { name: "bio-qa", items: [{ id: "q1", text: `${question}\n${answer}` }, { id: "short", text: "Yes." }] },
        { name: "med-qa", items: [{ id: "7", text: answer }] }
      ],
      13
    )
    expect(index.tooShort).toEqual([{ set: "bio-qa", item: "short", words: 1 }])
    expect(evalIndexSummary(index)).toEqual({
      n: 13,
      sets: [
        { name: "bio-qa", items: 2, indexed: 1, too_short: 1 },
        { name: "med-qa", items: 1, indexed: 1, too_short: 0 }
      ]
    })
    const text = `Background. ${answer} Methods follow.`
    const matches = findContamination(text, index)
    expect(matches.map((m) => [m.set, m.item, text.slice(m.start, m.end)])).toEqual([
      ["bio-qa", "q1", answer.slice(0, -1)],
      ["med-qa", "7", answer.slice(0, -1)]
    ])
    expect(judgeDecontaminate(index, { mode: "remove" })(doc(text))).toMatchObject({
      keep: false,
      detail: "13-gram overlap with bio-qa item q1 (2 matches); 1 more item matched"
    })
  })

  it("cuts without a marker, folding the whitespace and taking the passage's punctuation", () => {
    expect(cutPassages("One two. (Three four.) Five", [[10, 20]])).toBe("One two. Five")
    expect(cutPassages("Intro line\nCopied passage.\nNext line", [[11, 25]])).toBe("Intro line\nNext line")
    expect(cutPassages("Copied passage. Rest", [[0, 14]])).toBe("Rest")
    expect(cutPassages("Rest. Copied passage.", [[6, 20]])).toBe("Rest.")
  })
})

describe("readEvalSet errors name the file and the line", () => {
  const dir = tempDir("scicurate-evalset-")
  const write = (name: string, lines: ReadonlyArray<string>) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, lines.join("\n"))
    return file
  }

  it("reads ids from the id field or the line number, and lists of texts one per line", () => {
    const file = write("qa.jsonl", [JSON.stringify({ q: "A question?", a: ["first", "second"] }), "", JSON.stringify({ q: "Another?", a: null })])
    expect(readEvalSet(file, ["q", "a"])).toEqual({ name: "qa", items: [{ id: "1", text: "A question?\nfirst\nsecond" }, { id: "3", text: "Another?" }] })
    const nested = parseEvalSet("x", JSON.stringify({ meta: { id: 4 }, q: { text: "nested" } }), ["q.text"], "meta.id", "x.jsonl")
    expect(nested.items).toEqual([{ id: "4", text: "nested" }])
  })

  it.each([
    ["bad json", ['{"q": "ok"}', '{"q": "ok"}', "{not json"], ["q"], undefined, /bad-json\.jsonl line 3: not valid JSON/],
    ["no text", ['{"q": "ok"}', '{"other": 1}'], ["q", "a"], undefined, /no-text\.jsonl line 2: none of the fields "q", "a" has text/],
    ["object field", ['{"q": {"x": 1}}'], ["q"], undefined, /object-field\.jsonl line 1: field "q" is neither text/],
    ["missing id", ['{"q": "ok", "id": "a"}', '{"q": "ok"}'], ["q"], "id", /missing-id\.jsonl line 2: id field "id" is missing/],
    ["twice", ['{"q": "ok", "id": "a"}', '{"q": "ok", "id": "a"}'], ["q"], "id", /twice\.jsonl line 2: id "a" appears twice/]
  ])("%s", (name, lines, fields, idField, message) => {
    const file = write(`${name.replace(/ /g, "-")}.jsonl`, lines)
    expect(() => readEvalSet(file, fields, idField)).toThrow(message)
  })

  it("a missing file", () => {
    expect(() => readEvalSet(path.join(dir, "absent.jsonl"), ["q"])).toThrow(/absent\.jsonl: cannot be read \(ENOENT\)/)
  })
})

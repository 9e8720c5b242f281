import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { get_encoding, type Tiktoken } from "tiktoken"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { HARD_CUT_BYTES, MAX_PIECE_BYTES, PRETOKENIZER_PATTERNS, openTokenizer, safePieces, type Tokenizer } from "../../src/tokenize/tokenizer.ts"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const corpusDir = process.env.SCICURATE_CORPUS ?? path.resolve(repoRoot, "../shared/corpus")
const textDir = path.join(corpusDir, "text")
const jsonlFiles = fs.existsSync(textDir) ? fs.readdirSync(textDir).filter((f) => f.endsWith(".jsonl")).sort() : []
if (jsonlFiles.length === 0) console.warn(`[tokenizer tests] no JSONL texts in ${textDir}: the exactness tests on the shared corpus are skipped`)
const corpusTexts: string[] = jsonlFiles.flatMap((f) =>
  fs
    .readFileSync(path.join(textDir, f), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => (JSON.parse(line) as { text: string }).text)
)

const ENCODINGS = ["o200k_base", "cl100k_base"] as const
const utf8Bytes = (s: string): number => Buffer.byteLength(s, "utf8")
const repeatTo = (s: string, minChars: number, sep = ""): string => Array.from({ length: Math.ceil(minChars / (s.length + sep.length)) + 1 }, () => s).join(sep)

// Realistic texts that are not English prose. The CJK paragraphs are written for these tests.
const JAPANESE =
  "量子コンピュータは、重ね合わせと量子もつれを利用して計算を行う装置である。超伝導量子ビットのコヒーレンス時間は約100マイクロ秒（μs）であり、" +
  "誤り訂正符号を実装するにはさらなる改善が必要とされている。本研究では、表面符号を用いた論理量子ビットの実験結果を報告する。" +
  "符号距離を3から5に増やすと、論理誤り率は1サイクルあたり2.9%から2.0%に低下した。この結果は、物理誤り率がしきい値を下回っていることを示唆している。" +
  "さらに、読み出し誤差とリーク（漏れ）の影響を詳しく解析し、次世代デバイスの設計指針を議論する。"
const CHINESE =
  "蛋白质折叠是指多肽链在生理条件下形成特定三维结构的过程。根据热力学假说，天然构象对应于自由能最低的状态。" +
  "我们利用分子动力学模拟研究了温度为298K时的折叠动力学，发现折叠自由能ΔG约为−4.2 kcal/mol，折叠速率常数约为10³ s⁻¹。" +
  "突变实验表明，疏水核心中的亮氨酸残基对过渡态的稳定起关键作用；φ值分析进一步支持了成核—凝聚机制。" +
  "这些结果为理解蛋白质错误折叠相关疾病（如阿尔茨海默病）提供了新的线索。"
const KOREAN = "단백질 접힘은 아미노산 사슬이 고유한 3차원 구조를 형성하는 과정이다. 우리는 분자 동역학 시뮬레이션으로 300 K에서의 접힘 경로를 분석하였다."
const URL_2KB = `https://www.ebi.ac.uk/ebisearch/search?query=${repeatTo(
  "protein%20folding%20kinetics&facets=TAXONOMY:9606&filter=organism%3A%22Homo+sapiens%22&page=2&sort=relevance:desc&db=uniprotkb,pdbe;",
  2000
).slice(0, 2000)}#results-section_2`
const SMILES = [
  "CC(=O)Oc1ccccc1C(=O)O",
  "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
  "CC1=C2[C@@]([C@]([C@H]([C@@H]3[C@]4([C@H](OC4)C[C@@H]([C@]3(C(=O)[C@@H]2OC(=O)C)C)O)OC(=O)C)OC(=O)c5ccccc5)(C[C@@H]1OC(=O)[C@H](O)[C@@H](NC(=O)c6ccccc6)c7ccccc7)O)(C)C",
  "C[C@H]1[C@H]([C@H](C[C@@H](O1)O[C@@H]2[C@H]([C@@H]([C@H](O[C@H]2Oc3c4cc5cc3Oc6ccc(cc6Cl)[C@H]([C@H](C(=O)N[C@H](C(=O)N[C@H]5C(=O)N[C@@H]7c8ccc(c(c8)c9c(cc(cc9O)O)[C@H](NC(=O)[C@H]([C@@H](c1ccc(c(c1)Cl)O4)O)NC7=O)C(=O)O)O)CC(=O)N)NC(=O)[C@@H](CC(C)C)NC)O)O)CO)O)(C)N)O",
  "O=C(N[C@@H](Cc1ccccc1)C(=O)O)[C@@H](N)CC(=O)O",
  "[Na+].[Cl-]",
  "C1=CC=C(C=C1)/C=C/C(=O)O",
  "F/C=C\\F",
  "InChI=1S/C9H8O4/c1-6(10)13-8-5-3-2-4-7(8)9(11)12/h2-5H,1H3,(H,11,12)"
]
const LATEX = String.raw`\begin{equation}
  \frac{\partial \rho}{\partial t} + \nabla \cdot (\rho \mathbf{u}) = 0, \qquad
  \rho \left( \frac{\partial \mathbf{u}}{\partial t} + \mathbf{u}\cdot\nabla\mathbf{u} \right) = -\nabla p + \mu \nabla^2 \mathbf{u} + \mathbf{f}
\end{equation}
where $\rho$ is the density, $\mathbf{u}(\mathbf{x},t)$ the velocity and $\mathrm{Re} = UL/\nu \approx 10^{4}$; see Eq.~\eqref{eq:ns} and \cite{batchelor1967}.
\begin{align*}
  E_{n} &= -\frac{m_e e^4}{8 \varepsilon_0^2 h^2 n^2} \approx -\frac{13.6\,\mathrm{eV}}{n^2}, &
  \hat{H}\psi &= i\hbar\,\partial_t\psi, \quad \langle \psi | \psi \rangle = 1 .
\end{align*}
`
const CODE_AND_TABLES = `def fold_rate(dG: float, T: float = 298.15) -> float:
    """Arrhenius-like rate (s^-1) from an activation free energy in kcal/mol."""
    R = 1.987e-3  # kcal/(mol*K)
    return 1e6 * math.exp(-dG / (R * T))

for i, (name, seq) in enumerate(records):
\tif len(seq) > 1_000 and not seq.startswith("M"):
\t\tprint(f"{i:>4d}\\t{name!r}\\t{len(seq)}")

| Protein | Tm (°C) | ΔG (kcal/mol) | k_f (s⁻¹) |
|---------|--------:|--------------:|----------:|
| CI2     |    75.0 |          -7.0 |      56.0 |
| λ-repressor |  56.1 |        -4.9 |    4900 |

sample\ttime_s\tenergy_kJ_mol\ttemperature_K
run_001\t0.000\t-12345.678\t300.00
run_001\t0.002\t-12344.901\t300.15
\r\n    indented line after CRLF\r\n\r\n\t\ttabs\u00a0and\u2009thin\u3000spaces …  “quoted” ‘text’ — em-dash, 5–10 nm, ≥3σ, ±0.2 Å, 37 °C, naïve, Schrödinger, Ångström
`

describe.each(ENCODINGS)("%s", (name) => {
  let t: Tokenizer & { free(): void }
  // The reference: tiktoken's own encoder called directly on the whole text, with special-token strings
  // encoded as ordinary text (encode_ordinary), which is what the tokenizer documents for what shards store.
  let reference: Tiktoken
  beforeAll(() => {
    t = openTokenizer(name)
    reference = get_encoding(name)
  })
  afterAll(() => {
    t.free()
    reference.free()
  })

  /** The first place two id sequences differ, or null (a full toEqual diff of a million ids is unreadable). */
  const firstDifference = (got: Uint32Array, want: Uint32Array): string | null => {
    const n = Math.min(got.length, want.length)
    for (let i = 0; i < n; i++) if (got[i] !== want[i]) return `id ${i}: ${got[i]} instead of ${want[i]} (${got.length} ids, reference ${want.length})`
    return got.length === want.length ? null : `${got.length} ids, reference ${want.length}`
  }
  /** count() and the ids token shards store (ids()) both equal the reference encoder's on the whole text. */
  const expectSameIds = (text: string): void => {
    const want = reference.encode_ordinary(text)
    expect(t.count(text)).toBe(want.length)
    expect(firstDifference(t.ids(text), want)).toBeNull()
  }

  /** Token count of a text encoded in the chunks safePieces makes with windows of `maxBytes` (small windows cut often). */
  const chunked = (text: string, maxBytes: number): number => {
    let n = 0
    for (const piece of safePieces(text, name, maxBytes)) n += t.encode(piece).length
    return n
  }
  const expectExact = (text: string, maxBytes = 64): void => {
    expectSameIds(text)
    expect(chunked(text, maxBytes)).toBe(reference.encode_ordinary(text).length)
  }

  it.skipIf(corpusTexts.length === 0)("counts and encodes every corpus text exactly (ids as the reference encoder's), also when cut every ~64 bytes", () => {
    const mismatches: Array<{ index: number; want: number; count: number; cut64: number; ids: string | null }> = []
    for (const [index, text] of corpusTexts.entries()) {
      const reference_ = reference.encode_ordinary(text)
      const want = reference_.length
      const count = t.count(text)
      const cut64 = chunked(text, 64)
      const ids = firstDifference(t.ids(text), reference_)
      if (count !== want || cut64 !== want || ids !== null) mismatches.push({ index, want, count, cut64, ids })
    }
    expect(corpusTexts.length).toBeGreaterThan(1000)
    expect(mismatches.slice(0, 5)).toEqual([])
  })

  it.skipIf(corpusTexts.length === 0)("counts and encodes long concatenations of corpus texts exactly", () => {
    const all = corpusTexts.join("\n\n")
    expect(all.length).toBeGreaterThan(1_000_000)
    expectSameIds(all)
    for (const sep of [" ", "", "\n", "\r\n", "\t"]) {
      const text = corpusTexts.slice(0, 300).join(sep)
      expect(text.length).toBeGreaterThan(100_000)
      expectSameIds(text)
    }
  })

  it("counts CJK prose exactly", () => {
    for (const paragraph of [JAPANESE, CHINESE, KOREAN, JAPANESE + CHINESE + KOREAN]) expectExact(paragraph, 256)
    for (const sep of ["", "\n", "\n\n"]) {
      const text = repeatTo(JAPANESE + CHINESE + KOREAN, 30_000, sep)
      expect(text.length).toBeGreaterThan(20_000)
      expectExact(text, 256)
    }
    // No newline, no space: cut only between a letter and punctuation or at digits.
    const noBreaks = repeatTo(JAPANESE + CHINESE, 30_000)
    expectSameIds(noBreaks)
  })

  it("counts URLs, SMILES, LaTeX, code and tables exactly", () => {
    expect(URL_2KB.length).toBeGreaterThan(2000)
    expectExact(URL_2KB, 32)
    for (const smiles of SMILES) expectExact(smiles, 16)
    expectExact(LATEX, 32)
    expectExact(CODE_AND_TABLES, 32)
    const mixed = [URL_2KB, ...SMILES, LATEX, CODE_AND_TABLES, JAPANESE, CHINESE].join("\n")
    for (const sep of ["\n", " ", ""]) {
      const text = repeatTo(mixed, 120_000, sep)
      expectSameIds(text)
    }
    const smilesList = repeatTo(SMILES.join(" "), 120_000, " ")
    expectSameIds(smilesList)
    const longUrls = repeatTo(URL_2KB, 120_000, "")
    expectSameIds(longUrls)
  })

  it("cuts with the encoding's own pre-tokenizer where the cheap cut points are missing", () => {
    // Letters and apostrophes only: no whitespace, digit or letter-to-punctuation boundary anywhere.
    const text = repeatTo("rock'n'roll'o'clock'ain't'y'all'", 20_000)
    expect(utf8Bytes(text)).toBeGreaterThan(4 * MAX_PIECE_BYTES)
    expectExact(text, 64)
    if (name === "o200k_base") expectExact(repeatTo("ProteinFoldingKineticsAtRoomTemperature", 20_000), 64) // o200k splits at case changes
  })

  it("counts random strings of awkward characters exactly when cut as often as possible", () => {
    const alphabet = [
      ..."aAzZsStTéßſΔαЖж中あアー한กक𝐀𠀀ǅʰ",
      ..."0123456789٣１²Ⅻ𝟎",
      ..." \t\n\r\x0b\x0c\u0085\u00a0\u2028\u2029\u3000\ufeff\u200b",
      ..."., ;:!?()[]{}/-_=+*&^%$#@\"`~|\\<>、。「」，😀",
      "\u0e31",
      "\u093f",
      "\u0301",
      "\r\n",
      "'",
      "'s",
      "'S",
      "'ll",
      "'ſ",
      "'RE"
    ]
    let seed = 20240601
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return (seed >>> 8) / 2 ** 24
    }
    const mismatches: string[] = []
    for (let i = 0; i < 3000; i++) {
      let text = ""
      const length = 5 + Math.floor(random() * 150)
      while (text.length < length) text += alphabet[Math.floor(random() * alphabet.length)]!.repeat(random() < 0.7 ? 1 : 1 + Math.floor(random() * 8))
      if (chunked(text, 8) !== reference.encode_ordinary(text).length || firstDifference(t.ids(text), reference.encode_ordinary(text)) !== null) mismatches.push(text)
    }
    expect(mismatches.slice(0, 5)).toEqual([])
  })

  // Bounded: this takes about 1.5 s per encoding on a shared 2-core machine (measured December 2026), so a
  // 12 s limit fails on a ~10x slowdown (a quadratic cut search, a lost fast path) while leaving headroom
  // for a loaded CI runner; the global 600 s timeout would hide either.
  it("handles a megabyte of DNA or of one repeated character in bounded time", { timeout: 12_000 }, () => {
    let dna = ""
    let x = 12345
    for (let i = 0; i < 1_000_000; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff
      dna += "ACGT"[(x >> 29) & 3]
    }
    // DNA tokenizes at about two characters per token; the point is that it finishes at all.
    const nDna = t.count(dna)
    expect(nDna).toBeGreaterThan(300_000)
    expect(nDna).toBeLessThan(800_000)
    const nX = t.count("x".repeat(1_000_000))
    expect(nX).toBeGreaterThan(1_000_000 / 64)
    expect(nX).toBeLessThan(1_000_000 / 2)
    const nEmoji = t.count("😀".repeat(50_000))
    expect(nEmoji).toBeGreaterThanOrEqual(50_000)
    expect(nEmoji).toBeLessThanOrEqual(200_000)
  })

  it("stores ids that decode back to the text where overlong pieces are hard-cut", () => {
    // Hard cuts may make the ids differ from one whole-text encoding, but they must still be the text.
    for (const text of ["ACGT".repeat(50_000), "x".repeat(200_000), "😀".repeat(20_000)]) {
      const ids = t.ids(text)
      expect(ids.length).toBe(t.count(text))
      expect(new TextDecoder().decode(reference.decode(ids)) === text).toBe(true)
    }
  })

  it("encodes special-token text as ordinary text", () => {
    expect(t.count("<|endoftext|>")).toBeGreaterThan(1)
    expect(t.ids("<|endoftext|>").includes(t.eos)).toBe(false)
    expectSameIds(repeatTo("<|endoftext|> ", 10_000))
  })
})

describe("safePieces", () => {
  const prose = repeatTo("Protein folding kinetics at 298 K,  ΔG = -4.2 kcal/mol;\n\n  indented\tand\ttabbed text.", 100_000, " ")

  it("keeps every character and stays within MAX_PIECE_BYTES", () => {
    for (const text of [prose, repeatTo(JAPANESE + CHINESE, 50_000), "x".repeat(100_000), " ".repeat(100_000), "😀".repeat(20_000)]) {
      const pieces = [...safePieces(text)]
      expect(pieces.join("")).toBe(text)
      expect(pieces.length).toBeGreaterThan(1)
      expect(Math.max(...pieces.map(utf8Bytes))).toBeLessThanOrEqual(MAX_PIECE_BYTES)
    }
  })

  it("cuts prose only at the cut points the header documents", () => {
    const pieces = [...safePieces(prose, "o200k_base", 256)]
    expect(pieces.length).toBeGreaterThan(100_000 / 256)
    let at = 0
    for (const p of pieces.slice(0, -1)) {
      at += p.length
      const [before, after, next] = [prose[at - 1]!, prose[at]!, prose[at + 1] ?? ""]
      const ok =
        (/[ \t]/.test(after) && (/\S/.test(before) || /\S/.test(next))) || // horizontal space after or before non-space
        (/[\r\n]/.test(before) && /\S/.test(after)) || // non-space after a newline
        (/\S/.test(before) && /\S/.test(after) && /\d/.test(before) !== /\d/.test(after)) || // digit | non-digit
        (/\p{L}/u.test(before) && /[^\s\p{L}\p{N}\p{M}']/u.test(after)) // letter | punctuation
      expect(ok, JSON.stringify(prose.slice(at - 5, at + 5))).toBe(true)
    }
  })

  it("cuts a piece longer than MAX_PIECE_BYTES into slices of HARD_CUT_BYTES, never inside a surrogate pair", () => {
    const astral = "𠀀".repeat(100_000) // one CJK letter outside the BMP: one pre-tokenizer piece
    for (const name of ENCODINGS) {
      const pieces = [...safePieces(astral, name)]
      expect(pieces.join("")).toBe(astral)
      for (const p of pieces) {
        expect(utf8Bytes(p)).toBeLessThanOrEqual(HARD_CUT_BYTES)
        expect(/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(p)).toBe(false)
      }
    }
  })

  it("uses the encodings' pre-tokenizer patterns as tiktoken ships them", () => {
    const registry = JSON.parse(fs.readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve("tiktoken")), "registry.json"), "utf8")) as Record<string, { pat_str: string }>
    for (const name of ENCODINGS) expect(PRETOKENIZER_PATTERNS[name]).toBe(registry[name]!.pat_str)
  })
})

/**
 * Figures for `make bench` on the language stage's detector: accuracy per language and sample length on the
 * manual-page set (src/language/evaluation-set.ts), how accuracy and coverage move with a confidence
 * threshold, and throughput on short samples, 200-word samples and long documents. Returns rows; the
 * caller prints them. Reads /usr/share/man (and, when given, the shared corpus's abstracts).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { detectLanguage, loadLanguageModel } from "./detect.ts"
import { DEFAULT_READ, readManpageEvaluationSet, type LanguageSample } from "./evaluation-set.ts"
import { round4 } from "../quality/document.ts"

export interface LanguageAccuracyRow {
  /** ISO 639-1 label, or "all" for the micro average over every sample of that length. */
  readonly language: string
  readonly words: number
  readonly samples: number
  readonly accuracy: number
  /** The most frequent wrong answer ("da→no 13") or "" when none. */
  readonly top_confusion: string
}

export interface LanguageCalibrationRow {
  readonly words: number
  readonly min_confidence: number
  /** Share of samples whose confidence reaches the threshold. */
  readonly coverage: number
  /** Accuracy among those samples. */
  readonly accuracy: number
}

export interface LanguageThroughputRow {
  readonly input: string
  readonly docs: number
  readonly mb: number
  readonly seconds: number
  readonly docs_per_s: number
  readonly mb_per_s: number
}

export interface LanguageBench {
  readonly model_load_ms: number
  readonly set_build_ms: number
  readonly accuracy: ReadonlyArray<LanguageAccuracyRow>
  readonly calibration: ReadonlyArray<LanguageCalibrationRow>
  readonly throughput: ReadonlyArray<LanguageThroughputRow>
}

export interface Prediction {
  readonly sample: LanguageSample
  readonly language: string
  readonly confidence: number
}

/** Accuracy per (language, length) and overall per length, with the most frequent confusion. */
export function accuracyRows(predictions: ReadonlyArray<Prediction>): LanguageAccuracyRow[] {
  const groups = new Map<string, Prediction[]>()
  for (const p of predictions) {
    for (const key of [`${p.sample.words}\t${p.sample.language}`, `${p.sample.words}\tall`]) {
      const list = groups.get(key) ?? []
      list.push(p)
      groups.set(key, list)
    }
  }
  const rows: LanguageAccuracyRow[] = []
  for (const [key, list] of groups) {
    const [words, language] = key.split("\t") as [string, string]
    let correct = 0
    const confusions = new Map<string, number>()
    for (const p of list) {
      if (p.language === p.sample.language) correct++
      else {
        const c = `${p.sample.language}→${p.language}`
        confusions.set(c, (confusions.get(c) ?? 0) + 1)
      }
    }
    const top = [...confusions].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]
    rows.push({ language, words: Number(words), samples: list.length, accuracy: round4(correct / list.length), top_confusion: top ? `${top[0]} ${top[1]}` : "" })
  }
  return rows.sort((a, b) => a.words - b.words || (a.language === "all" ? -1 : b.language === "all" ? 1 : a.language < b.language ? -1 : 1))
}

/** Coverage and accuracy of the predictions at or above each confidence threshold, per length. */
export function calibrationRows(predictions: ReadonlyArray<Prediction>, thresholds: ReadonlyArray<number> = [0, 0.5, 0.7, 0.9]): LanguageCalibrationRow[] {
  const rows: LanguageCalibrationRow[] = []
  const lengths = [...new Set(predictions.map((p) => p.sample.words))].sort((a, b) => a - b)
  for (const words of lengths) {
    const all = predictions.filter((p) => p.sample.words === words)
    for (const t of thresholds) {
      const kept = all.filter((p) => p.confidence >= t)
      const correct = kept.filter((p) => p.language === p.sample.language).length
      rows.push({ words, min_confidence: t, coverage: round4(kept.length / all.length), accuracy: kept.length ? round4(correct / kept.length) : 0 })
    }
  }
  return rows
}

function timeDetection(input: string, texts: ReadonlyArray<string>): LanguageThroughputRow {
  let bytes = 0
  for (const t of texts) bytes += Buffer.byteLength(t)
  const start = performance.now()
  for (const t of texts) detectLanguage(t)
  const seconds = (performance.now() - start) / 1000
  return { input, docs: texts.length, mb: round4(bytes / 1e6), seconds: round4(seconds), docs_per_s: Math.round(texts.length / seconds), mb_per_s: round4(bytes / 1e6 / seconds) }
}

/** Abstracts of the shared corpus's JSONL files (field `text`), in file order; [] when absent. */
export function readCorpusAbstracts(corpusDir: string): string[] {
  const dir = path.join(corpusDir, "text")
  if (!fs.existsSync(dir)) return []
  const out: string[] = []
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
    for (const line of fs.readFileSync(path.join(dir, file), "utf8").split("\n")) {
      if (line.trim() === "") continue
      const text = (JSON.parse(line) as { text?: unknown }).text
      if (typeof text === "string") out.push(text)
    }
  }
  return out
}

/**
 * Runs the detector over the manual-page set and, when `corpusDir` holds the shared corpus, over its
 * abstracts and over "papers" of ~200 kB made by joining 400 abstracts (to show that long documents cost
 * a sample of a few kB, not their length).
 */
export async function benchLanguage(options: { corpusDir?: string } = {}): Promise<LanguageBench> {
  const loadStart = performance.now()
  await loadLanguageModel()
  const model_load_ms = Math.round(performance.now() - loadStart)
  const buildStart = performance.now()
  const samples = readManpageEvaluationSet(DEFAULT_READ)
  const set_build_ms = Math.round(performance.now() - buildStart)
  const predictions: Prediction[] = samples.map((sample) => ({ sample, ...detectLanguage(sample.text) }))
  const throughput = [
    timeDetection("manpage samples, 20 words", samples.filter((s) => s.words === 20).map((s) => s.text)),
    timeDetection("manpage samples, 200 words", samples.filter((s) => s.words === 200).map((s) => s.text))
  ]
  const abstracts = options.corpusDir ? readCorpusAbstracts(options.corpusDir) : []
  if (abstracts.length > 0) {
    throughput.push(timeDetection("corpus abstracts", abstracts))
    const long: string[] = []
    for (let i = 0; i + 400 <= abstracts.length; i += 400) long.push(abstracts.slice(i, i + 400).join("\n\n"))
    throughput.push(timeDetection("long documents (400 abstracts each)", long))
  }
  return { model_load_ms, set_build_ms, accuracy: accuracyRows(predictions), calibration: calibrationRows(predictions), throughput }
}

/**
 * The quality report: what the filter rules and the language detector would do to a dataset, without
 * removing anything, so that curators set thresholds by looking rather than guessing. Per rule and per
 * bundle: the share of documents the rule removes at its configured threshold (alone, and as the first
 * failing rule, which is what the filter stage records), the distribution of its measure, and the
 * documents just either side of the threshold. Per bundle: the languages found and what the keep list
 * would remove. Pure: documents in, a report object out (see cli/quality-report.ts for the I/O).
 */
import type { DocumentKind } from "../core/document.ts"
import type { QualityDocument, Verdict } from "./document.ts"

/** What the report needs of a filter rule (src/filter/rules.ts). */
export interface ReportRule {
  readonly name: string
  readonly reason: string
  readonly family: string
  readonly kinds: ReadonlyArray<DocumentKind>
  readonly measure: string
  readonly bound: "min" | "max"
  readonly threshold: number
  readonly description: string
}

export interface ReportConfig {
  readonly rules: ReadonlyArray<ReportRule>
  /** The threshold a rule has for a bundle's documents (pipeline setting, bundle override, default); null when off. */
  readonly thresholdOf: (rule: ReportRule, bundle: string) => number | null
  readonly measure: (doc: QualityDocument) => Readonly<Record<string, number>>
  /** The filter stage's verdict (first failing rule), to count what the stage would record. */
  readonly judgeFilter: (doc: QualityDocument) => Verdict
  /** The language stage's verdict, or null when the report leaves languages out. */
  readonly judgeLanguage: ((doc: QualityDocument) => Verdict) | null
  /** Samples kept on each side of a threshold (default 5). */
  readonly samples?: number
}

export interface ReportSample {
  readonly id: string
  readonly source_path: string
  readonly source_index: number
  readonly value: number
  readonly excerpt: string
}

export interface RuleBundleReport {
  readonly bundle: string
  readonly threshold: number | null
  /** Documents the rule applies to (their kind is one of its kinds). */
  readonly judged: number
  /** Documents failing this rule at the threshold, whatever other rules say. */
  readonly failing: number
  readonly failing_rate: number
  /** Documents the filter stage would remove with this rule's reason (it is their first failing rule). */
  readonly removed_first: number
  readonly quantiles: Readonly<Record<"min" | "p1" | "p5" | "p10" | "p25" | "p50" | "p75" | "p90" | "p95" | "p99" | "max", number>> | null
  readonly histogram: ReadonlyArray<{ readonly from: number; readonly to: number; readonly documents: number }>
  /** The documents nearest the threshold on the removed side (nearest first)... */
  readonly removed_side: ReadonlyArray<ReportSample>
  /** ...and on the kept side. */
  readonly kept_side: ReadonlyArray<ReportSample>
}

export interface RuleReport {
  readonly rule: ReportRule
  readonly bundles: ReadonlyArray<RuleBundleReport>
}

export interface LanguageBundleReport {
  readonly bundle: string
  readonly judged: number
  readonly exempt: number
  readonly languages: Readonly<Record<string, number>>
  readonly removed: Readonly<Record<string, number>>
  readonly samples_removed: ReadonlyArray<ReportSample & { readonly detail: string }>
}

export interface QualityReport {
  readonly documents: number
  readonly bundles: Readonly<Record<string, number>>
  /** What the filter stage would remove, per bundle and reason. */
  readonly filter_removed: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly rules: ReadonlyArray<RuleReport>
  readonly languages: ReadonlyArray<LanguageBundleReport> | null
}

const EXCERPT = 400
const HISTOGRAM_BINS = 20
const QUANTILES = [
  ["min", 0],
  ["p1", 0.01],
  ["p5", 0.05],
  ["p10", 0.1],
  ["p25", 0.25],
  ["p50", 0.5],
  ["p75", 0.75],
  ["p90", 0.9],
  ["p95", 0.95],
  ["p99", 0.99],
  ["max", 1]
] as const

const excerptOf = (text: string): string => (text.length > EXCERPT ? `${text.slice(0, EXCERPT - 1)}…` : text).replace(/\s+/g, " ")

/** The k samples nearest a threshold on one side: a small array kept sorted by distance (k is tiny). */
class NearestSamples {
  readonly items: Array<{ distance: number; sample: ReportSample }> = []
  private readonly k: number
  constructor(k: number) {
    this.k = k
  }
  offer(distance: number, make: () => ReportSample): void {
    if (this.items.length === this.k && distance >= this.items[this.items.length - 1]!.distance) return
    const entry = { distance, sample: make() }
    let i = this.items.length
    while (i > 0 && this.items[i - 1]!.distance > distance) i--
    this.items.splice(i, 0, entry)
    if (this.items.length > this.k) this.items.pop()
  }
}

interface RuleCell {
  threshold: number | null
  values: number[]
  failing: number
  removedFirst: number
  removedSide: NearestSamples
  keptSide: NearestSamples
}

interface LanguageCell {
  judged: number
  exempt: number
  languages: Record<string, number>
  removed: Record<string, number>
  samples: Array<ReportSample & { detail: string }>
}

export class QualityReportBuilder {
  private documents = 0
  private readonly bundles: Record<string, number> = {}
  private readonly filterRemoved: Record<string, Record<string, number>> = {}
  private readonly cells = new Map<string, RuleCell>()
  private readonly languageCells = new Map<string, LanguageCell>()
  private readonly k: number
  private readonly config: ReportConfig

  constructor(config: ReportConfig) {
    this.config = config
    this.k = config.samples ?? 5
  }

  /** Judge one document as if it were in `bundle` ("all" when the dataset has no bundles). */
  add(doc: QualityDocument, bundle: string): void {
    this.documents++
    this.bundles[bundle] = (this.bundles[bundle] ?? 0) + 1
    const scores = this.config.measure(doc)
    const verdict = this.config.judgeFilter(doc)
    const removedReason = verdict.keep ? null : verdict.reason
    if (removedReason !== null) {
      const perBundle = (this.filterRemoved[bundle] ??= {})
      perBundle[removedReason] = (perBundle[removedReason] ?? 0) + 1
    }
    let attributed = false
    for (const rule of this.config.rules) {
      if (!rule.kinds.includes(doc.kind)) continue
      const value = scores[rule.measure]
      if (value === undefined || !Number.isFinite(value)) continue
      const key = `${rule.name}\u0000${bundle}`
      let cell = this.cells.get(key)
      if (cell === undefined) {
        cell = { threshold: this.config.thresholdOf(rule, bundle), values: [], failing: 0, removedFirst: 0, removedSide: new NearestSamples(this.k), keptSide: new NearestSamples(this.k) }
        this.cells.set(key, cell)
      }
      cell.values.push(value)
      if (cell.threshold === null) continue
      const fails = rule.bound === "min" ? value < cell.threshold : value > cell.threshold
      const sample = () => ({ id: doc.id, source_path: doc.source_path, source_index: doc.source_index, value, excerpt: excerptOf(doc.text) })
      const distance = Math.abs(value - cell.threshold)
      if (fails) {
        cell.failing++
        cell.removedSide.offer(distance, sample)
        // The stage records the first failing rule's reason; several rules may share a reason.
        if (!attributed && removedReason === rule.reason) {
          cell.removedFirst++
          attributed = true
        }
      } else cell.keptSide.offer(distance, sample)
    }
    if (this.config.judgeLanguage !== null) this.addLanguage(doc, bundle, this.config.judgeLanguage(doc))
  }

  private addLanguage(doc: QualityDocument, bundle: string, verdict: Verdict): void {
    let cell = this.languageCells.get(bundle)
    if (cell === undefined) this.languageCells.set(bundle, (cell = { judged: 0, exempt: 0, languages: {}, removed: {}, samples: [] }))
    const facts = verdict.facts?.language as { code?: string; language?: string; exempt?: boolean; confidence?: number } | undefined
    if (facts === undefined || facts.exempt) {
      cell.exempt++
      return
    }
    cell.judged++
    const code = facts.code ?? facts.language ?? "und"
    cell.languages[code] = (cell.languages[code] ?? 0) + 1
    if (!verdict.keep) {
      cell.removed[verdict.reason] = (cell.removed[verdict.reason] ?? 0) + 1
      if (cell.samples.length < this.k * 2) {
        cell.samples.push({ id: doc.id, source_path: doc.source_path, source_index: doc.source_index, value: facts.confidence ?? 0, excerpt: excerptOf(doc.text), detail: verdict.detail })
      }
    }
  }

  finish(): QualityReport {
    const bundleNames = Object.keys(this.bundles).sort()
    const rules: RuleReport[] = this.config.rules.map((rule) => ({
      rule,
      bundles: bundleNames.flatMap((bundle) => {
        const cell = this.cells.get(`${rule.name}\u0000${bundle}`)
        if (cell === undefined) return []
        const sorted = Float64Array.from(cell.values).sort()
        return [
          {
            bundle,
            threshold: cell.threshold,
            judged: sorted.length,
            failing: cell.failing,
            failing_rate: round(cell.failing / Math.max(1, sorted.length)),
            removed_first: cell.removedFirst,
            quantiles: quantilesOf(sorted),
            histogram: histogramOf(sorted, cell.threshold),
            removed_side: cell.removedSide.items.map((e) => e.sample),
            kept_side: cell.keptSide.items.map((e) => e.sample)
          }
        ]
      })
    }))
    const languages =
      this.config.judgeLanguage === null
        ? null
        : bundleNames.flatMap((bundle) => {
            const c = this.languageCells.get(bundle)
            return c === undefined ? [] : [{ bundle, judged: c.judged, exempt: c.exempt, languages: sortedCounts(c.languages), removed: sortedCounts(c.removed), samples_removed: c.samples }]
          })
    return { documents: this.documents, bundles: sortedCounts(this.bundles), filter_removed: this.filterRemoved, rules, languages }
  }
}

const round = (x: number): number => Math.round(x * 10000) / 10000

const sortedCounts = (counts: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))

function quantilesOf(sorted: Float64Array): RuleBundleReport["quantiles"] {
  if (sorted.length === 0) return null
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!)
  return Object.fromEntries(QUANTILES.map(([name, q]) => [name, at(q)])) as NonNullable<RuleBundleReport["quantiles"]>
}

/**
 * Equal-width bins between the 1st and 99th percentiles (so one outlier does not flatten the chart),
 * the ends open to catch the rest; the threshold is always a bin edge, so the bars left and right of it
 * are exactly the documents the rule keeps or removes.
 */
function histogramOf(sorted: Float64Array, threshold: number | null): RuleBundleReport["histogram"] {
  if (sorted.length === 0) return []
  let lo = sorted[Math.floor(0.01 * (sorted.length - 1))]!
  let hi = sorted[Math.ceil(0.99 * (sorted.length - 1))]!
  if (threshold !== null) {
    lo = Math.min(lo, threshold)
    hi = Math.max(hi, threshold)
  }
  if (hi <= lo) return [{ from: round(lo), to: round(hi), documents: sorted.length }]
  const width = (hi - lo) / HISTOGRAM_BINS
  const edges: number[] = []
  for (let i = 0; i <= HISTOGRAM_BINS; i++) edges.push(lo + i * width)
  if (threshold !== null && !edges.some((e) => Math.abs(e - threshold) < width * 1e-9)) {
    edges.push(threshold)
    edges.sort((a, b) => a - b)
  }
  const bins = edges.slice(0, -1).map((from, i) => ({ from: round(from), to: round(edges[i + 1]!), documents: 0 }))
  for (const v of sorted) {
    let i = 0
    // Few bins: a linear walk is as fast as a search and reads plainly. Values outside fall in the end bins.
    while (i < bins.length - 1 && v >= edges[i + 1]!) i++
    bins[i]!.documents++
  }
  return bins
}

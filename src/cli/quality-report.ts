/**
 * `scicurate quality-report DATASET --out DIR`: run the filter rules and the language detector over a
 * dataset without removing anything, and write what they would do (per rule and bundle: removal rate
 * at the configured threshold, the measure's distribution, the documents just either side of the
 * threshold) to DIR/README.md, DIR/index.html and DIR/quality-report.json. Thresholds and keep lists
 * come from `--config PIPELINE` (its filter and language stages) and the bundle definitions' `quality`
 * sections; without a config, the defaults.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { DEFAULT_BUNDLES_DIR, loadBundleDefinitions, type BundleDefinition } from "../classify/definitions.ts"
import type { DocumentKind } from "../core/document.ts"
import { openDuckDB } from "../core/duckdb.ts"
import { ConfigError, UsageError } from "../core/errors.ts"
import { listShards, writeFileAtomic } from "../core/layout.ts"
import { readBatches, readParquetSql } from "../core/parquet.ts"
import { FILTER_RULES, judgeFilter, resolveFilterConfig, thresholdOf, type FilterConfig } from "../filter/rules.ts"
import { measureDocument } from "../filter/measures.ts"
import { loadLanguageModel } from "../language/detect.ts"
import { languageJudgeByBundle } from "../language/stage.ts"
import { loadPipeline } from "../pipeline/config.ts"
import type { Judge, QualityDocument } from "../quality/document.ts"
import { filterOverrides, languageOverrides } from "../quality/bundles.ts"
import { QualityReportBuilder, type QualityReport } from "../quality/report.ts"
import { renderReportHtml, renderReportMarkdown } from "../quality/report-render.ts"

/** The shards of DATASET: a stage's dataset folder, a bundle folder (data/*.parquet), or a folder of bundles. */
export function reportShards(dir: string): string[] {
  const own = listShards(dir)
  if (own.length > 0) return own
  const dataOf = (d: string) =>
    fs.existsSync(path.join(d, "data")) ? fs.readdirSync(path.join(d, "data")).filter((f) => f.endsWith(".parquet")).sort().map((f) => path.join(d, "data", f)) : []
  if (fs.existsSync(path.join(dir, "manifest.json"))) return dataOf(dir)
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort().flatMap((d) => (fs.existsSync(path.join(dir, d, "manifest.json")) ? dataOf(path.join(dir, d)) : [])) : []
}

interface ReportSettings {
  readonly filter: FilterConfig
  readonly language: { keep?: ReadonlyArray<string>; min_confidence?: number; exempt_kinds?: ReadonlyArray<DocumentKind> }
  readonly definitions: ReadonlyArray<BundleDefinition>
}

/** The filter and language settings of a pipeline file (its first stage of each), and the bundle definitions they use. */
const settingsFrom = (configFile: string | undefined, bundlesFlag: string | undefined) =>
  Effect.gen(function* () {
    let filter: Record<string, unknown> = {}
    let language: Record<string, unknown> = {}
    let bundles = bundlesFlag ? path.resolve(bundlesFlag) : null
    if (configFile !== undefined) {
      const pipeline = yield* loadPipeline(configFile)
      const base = path.dirname(path.resolve(configFile))
      filter = (pipeline.config.stages.find((s) => s.stage === "filter") as Record<string, unknown> | undefined) ?? {}
      language = (pipeline.config.stages.find((s) => s.stage === "language") as Record<string, unknown> | undefined) ?? {}
      const fromConfig = (filter.bundles ?? language.bundles) as string | undefined
      bundles ??= fromConfig ? path.resolve(base, fromConfig) : null
    }
    const dir = bundles ?? DEFAULT_BUNDLES_DIR
    const definitions = yield* Effect.try({ try: () => loadBundleDefinitions(dir), catch: (e) => new ConfigError({ file: dir, message: (e as Error).message }) })
    const perBundle = filterOverrides(definitions)
    const settings: ReportSettings = {
      filter: {
        ...(filter.thresholds ? { thresholds: filter.thresholds as Record<string, number> } : {}),
        ...(filter.disabled ? { disabled: filter.disabled as string[] } : {}),
        ...(Object.keys(perBundle).length > 0 ? { bundles: perBundle } : {})
      },
      language: {
        ...(language.keep ? { keep: language.keep as string[] } : {}),
        ...(language.min_confidence !== undefined ? { min_confidence: language.min_confidence as number } : {}),
        ...(language.exempt_kinds ? { exempt_kinds: language.exempt_kinds as DocumentKind[] } : {})
      },
      definitions
    }
    return settings
  })

/** Measure every document of `shards`; documents without a bundle are routed with the definitions. */
export async function buildQualityReport(shards: ReadonlyArray<string>, settings: ReportSettings, options: { languages: boolean; route: boolean }): Promise<QualityReport | string> {
  const resolved = resolveFilterConfig(settings.filter)
  if (typeof resolved === "string") return resolved
  const filterJudge = judgeFilter(resolved)
  if (options.languages) await loadLanguageModel()
  const languageJudge = options.languages ? languageJudgeByBundle(settings.language, languageOverrides(settings.definitions)) : null
  const builder = new QualityReportBuilder({
    rules: FILTER_RULES,
    thresholdOf: (rule, bundle) => thresholdOf(resolved, rule.name, bundle),
    measure: measureDocument,
    judgeFilter: filterJudge,
    judgeLanguage: languageJudge
  })
  const { compileClassifier } = await import("../classify/route.ts")
  const classifier = options.route ? compileClassifier(settings.definitions) : null
  const { instance, connection } = await openDuckDB({ threads: 2 })
  try {
    const columns = new Set((await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${readParquetSql(shards)}`)).getRowObjectsJS().map((r) => String(r.column_name)))
    const col = (c: string) => (columns.has(c) ? `"${c}"` : `NULL AS "${c}"`)
    const sql = `SELECT ${["id", "text", "kind", "format", "source_path", "source_index", "title", "metadata", "bundle", "domain", "license"].map(col).join(", ")} FROM ${readParquetSql(shards)}`
    for await (const { batch, rowCount } of readBatches(connection, sql)) {
      for (let i = 0; i < rowCount; i++) {
        const base = {
          id: String(batch.id![i]),
          text: (batch.text![i] as string | null) ?? "",
          kind: String(batch.kind![i]) as DocumentKind,
          format: String(batch.format![i]),
          source_path: String(batch.source_path![i]),
          source_index: Number(batch.source_index![i] ?? 0),
          title: (batch.title![i] as string | null) ?? null,
          metadata: (batch.metadata![i] as string | null) ?? "{}"
        }
        const own = (batch.bundle![i] as string | null) ?? null
        const routed =
          own ?? (classifier ? classifier.route({ ...base, domain: (batch.domain![i] as string | null) ?? null, license: (batch.license![i] as string | null) ?? null }).bundle : null)
        const bundle = routed ?? (classifier ? "unrouted" : "all")
        const doc: QualityDocument = { ...base, bundle: routed }
        builder.add(doc, bundle)
      }
    }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
  return builder.finish()
}

export const qualityReportCommand = Command.make(
  "quality-report",
  {
    dataset: Argument.String("dataset").pipe(Argument.withDescription("A dataset folder of part-*.parquet shards (e.g. work/demo/dedup), a bundle folder, or a folder of bundles")),
    out: Flag.String("out").pipe(Flag.withDescription("Folder for README.md, index.html and quality-report.json")),
    config: Flag.String("config").pipe(Flag.withDescription("A pipeline file whose filter and language stage settings to use (default: the defaults)"), Flag.optional),
    bundles: Flag.String("bundles").pipe(Flag.withDescription("Folder of bundle definitions (routing and per-bundle overrides; default: the config's, else scicurate's bundles/)"), Flag.optional),
    noLanguages: Flag.Boolean("no-languages").pipe(Flag.withDescription("Leave language detection out"), Flag.withDefault(false)),
    noRoute: Flag.Boolean("no-route").pipe(Flag.withDescription("Do not route documents without a bundle: report them as one set, 'all'"), Flag.withDefault(false))
  },
  (args) =>
    Effect.gen(function* () {
      const dir = path.resolve(args.dataset)
      const shards = reportShards(dir)
      if (shards.length === 0) return yield* new UsageError({ message: `${args.dataset}: no Parquet shards (a stage's dataset folder, a bundle folder or a folder of bundles)` })
      const settings = yield* settingsFrom(Option.getOrUndefined(args.config), Option.getOrUndefined(args.bundles))
      const report = yield* Effect.tryPromise({
        try: () => buildQualityReport(shards, settings, { languages: !args.noLanguages, route: !args.noRoute }),
        catch: (e) => new UsageError({ message: `${args.dataset}: ${(e as Error).message}` })
      })
      if (typeof report === "string") return yield* new UsageError({ message: `filter settings: ${report}` })
      const out = path.resolve(args.out)
      fs.mkdirSync(out, { recursive: true })
      writeFileAtomic(path.join(out, "quality-report.json"), JSON.stringify(report, null, 2) + "\n")
      writeFileAtomic(path.join(out, "README.md"), renderReportMarkdown(report))
      writeFileAtomic(path.join(out, "index.html"), renderReportHtml(report))
      const removed = Object.values(report.filter_removed).reduce((a, r) => a + Object.values(r).reduce((x, y) => x + y, 0), 0)
      yield* Console.log(
        `${report.documents} documents in ${Object.keys(report.bundles).length} bundle(s); the filter stage would remove ${removed} (${((removed / Math.max(1, report.documents)) * 100).toFixed(1)}%)\n` +
          `report: ${path.join(out, "README.md")} and ${path.join(out, "index.html")}`
      )
    })
).pipe(Command.withDescription("Measure what the filter rules and the language detector would remove from a dataset, per rule and bundle, without removing anything"))

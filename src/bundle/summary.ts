/**
 * What a manifest says about a bundle's contents beyond its shards: breakdowns by kind, format, license
 * and source; the distribution of routing scores and runner-ups; a few sample documents. All from the
 * classified dataset's small columns (the text column is never read here), and all deterministic.
 */
import { Effect } from "effect"
import { sqlString, type DuckDBService } from "../core/duckdb.ts"
import type { Manifest } from "./manifest.ts"
import { shuffleOrderSql, splitSql } from "./split.ts"
import { bundleFilterSql } from "./write.ts"

/** Score bins of the routing histogram (the last is open-ended). */
export const SCORE_BIN_EDGES = [0, 1, 2, 4, 8, 16, 32, 64] as const
/** A runner-up this close to the winner (as a share of its score) marks a close call. */
export const CLOSE_CALL_RATIO = 0.8
const SAMPLES = 5

const round = (x: number): number => Math.round(x * 1e6) / 1e6

export interface ContentSummary {
  readonly by_kind: Manifest["by_kind"]
  readonly by_format: Manifest["by_format"]
  readonly by_license: Manifest["by_license"]
  readonly by_source: Manifest["by_source"]
  readonly routing: Manifest["routing"]
  readonly samples: Manifest["samples"]
  readonly duplicates_removed: Manifest["duplicates_removed"]
}

/**
 * `minScore`: the classifier's threshold. For the unrouted set the runner-up columns name the bundle
 * that came closest (see classify/route.ts), and a close call is a document that scored at least 80% of
 * the threshold: nearly routed.
 */
export const summarizeBundle = (
  db: DuckDBService,
  inputSql: string,
  bundle: string | null,
  validationFraction: number,
  seed: number,
  minScore: number,
  /** The dedup stage's removal records (`_removed/*.parquet`) this bundle descends from; empty for none. */
  removedFiles: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    const from = `FROM ${inputSql} WHERE ${bundleFilterSql(bundle)}`
    const breakdown = (expr: string) =>
      db
        .rows(`SELECT ${expr} AS key, count(*) AS documents, coalesce(sum(n_tokens), 0) AS tokens ${from} GROUP BY 1 ORDER BY 1`)
        .pipe(Effect.map((rows) => Object.fromEntries(rows.map((r) => [String(r.key), { documents: Number(r.documents), tokens: Number(r.tokens) }]))))
    const [q] = yield* db.rows(
      `SELECT min(route_score) AS min, quantile_cont(route_score, 0.1) AS p10, quantile_cont(route_score, 0.5) AS p50,
              quantile_cont(route_score, 0.9) AS p90, max(route_score) AS max, avg(route_score) AS mean,
              count(*) FILTER (WHERE ${bundle === null ? `route_score >= ${CLOSE_CALL_RATIO * minScore}` : `route_second IS NOT NULL AND route_second_score >= ${CLOSE_CALL_RATIO} * route_score`}) AS close_calls ${from}`
    )
    const binExpr = `CASE ${SCORE_BIN_EDGES.slice(1).map((edge, i) => `WHEN route_score < ${edge} THEN ${i}`).join(" ")} ELSE ${SCORE_BIN_EDGES.length - 1} END`
    const bins = yield* db.rows(`SELECT ${binExpr} AS bin, count(*) AS n ${from} GROUP BY 1 ORDER BY 1`)
    const counts = new Map(bins.map((b) => [Number(b.bin), Number(b.n)]))
    const histogram = SCORE_BIN_EDGES.map((edge, i) => ({ from: edge, to: SCORE_BIN_EDGES[i + 1] ?? null, documents: counts.get(i) ?? 0 }))
    const runnerUp = yield* db.rows(`SELECT coalesce(route_second, 'none') AS key, count(*) AS n ${from} GROUP BY 1 ORDER BY 1`)
    const samples = yield* db.rows(
      `SELECT id, title, source_path, route_reason ${from} AND ${splitSql(validationFraction)} = 'train' ORDER BY ${shuffleOrderSql(seed)} LIMIT ${SAMPLES}`
    )
    // Duplicates removed upstream whose kept copy is in this bundle: what dedup took out of it.
    const removed =
      removedFiles.length === 0
        ? []
        : yield* db.rows(
            `SELECT method AS key, count(*) AS n FROM read_parquet([${removedFiles.map(sqlString).join(", ")}]) ` +
              `WHERE kept_id IN (SELECT id ${from}) GROUP BY 1 ORDER BY 1`
          )
    const num = (v: unknown): number => (v === null || v === undefined ? 0 : round(Number(v)))
    const summary: ContentSummary = {
      by_kind: yield* breakdown("kind"),
      by_format: yield* breakdown("format"),
      by_license: yield* breakdown("coalesce(license, 'unknown')"),
      by_source: yield* breakdown("split_part(source_path, '/', 1)"),
      routing: {
        score: { min: num(q!.min), p10: num(q!.p10), p50: num(q!.p50), p90: num(q!.p90), max: num(q!.max), mean: num(q!.mean) },
        histogram,
        runner_up: Object.fromEntries(runnerUp.map((r) => [String(r.key), Number(r.n)])),
        close_calls: Number(q!.close_calls)
      },
      duplicates_removed: Object.fromEntries(removed.map((r) => [String(r.key), Number(r.n)])),
      samples: samples.map((s) => ({ id: String(s.id), title: (s.title as string | null) ?? null, source_path: String(s.source_path), route_reason: String(s.route_reason) }))
    }
    return summary
  })

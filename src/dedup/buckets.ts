/**
 * MinHash phase 2, buckets: task b of W takes the band keys with `key mod W = b` from every signature
 * shard (and from the reference signatures of released data), groups them by (band, key) in DuckDB —
 * which sorts and spills out of core, so a task's memory does not grow with the corpus — and turns each
 * bucket of two or more documents into candidate pairs. With verification on, a pair is kept only when
 * the documents' signatures agree on at least `threshold` of their hashes (estimated Jaccard).
 *
 * Pairs in a bucket: every pair when the bucket is small (the usual case: a document and its copies);
 * for a large bucket, each member paired with the bucket's first member by id, which connects the
 * bucket at linear cost. Members are ordered by id, never by task-dependent keys, so the pairs — and
 * the clusters — are the same whatever the number of tasks.
 */
import { Effect, Stream } from "effect"
import { DuckDB, sqlString } from "../core/duckdb.ts"
import { copyToParquet, readBatches } from "../core/parquet.ts"
import type { Stage } from "../core/stage.ts"
import { estimatedJaccard } from "./minhash/signature.ts"
import { KEY_RANK, nearPhase, REFERENCE_RANK_BASE, type Reference } from "./options.ts"
import { appendRows, asWords } from "./rows.ts"

/** Buckets up to this size yield all their pairs; larger ones a star around their first member. */
export const ALL_PAIRS_MAX = 20

/**
 * SQL over every signature row a dedup plan compares: its own shards, then each reference shard with
 * its documents re-keyed into the reference range (2^20 + the file's number, then the row in key
 * order), so keys never collide with this run's or each other's.
 */
export function allSignaturesSql(shards: ReadonlyArray<string>, references: ReadonlyArray<Reference>, columns: string): string {
  const parts = [`SELECT ${columns} FROM read_parquet([${shards.map(sqlString).join(", ")}])`]
  references.forEach((ref, i) => {
    // A reference file holds documents of several shards: renumber its rows (in key order) instead.
    const rekeyed = columns.replace(/\bdoc\b/, `((${REFERENCE_RANK_BASE + i})::BIGINT * ${KEY_RANK} + row_number() OVER (ORDER BY doc) - 1) AS doc`)
    // What that run removed as near duplicates was never released: it stands for nothing now.
    const released = ref.removed === null ? "" : ` WHERE doc NOT IN (SELECT doc FROM read_parquet(${sqlString(ref.removed)}))`
    parts.push(`SELECT ${rekeyed} FROM (SELECT * FROM read_parquet(${sqlString(ref.shard)})${released})`)
  })
  return parts.join(" UNION ALL ")
}

export const isReference = (doc: number): boolean => doc >= REFERENCE_RANK_BASE * KEY_RANK

export const bucketsStage: Stage = {
  name: "minhash-buckets",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { shards, options, target, fail } = yield* nearPhase(ctx)
      const bandCols = Array.from({ length: options.bands }, (_, b) => `b${b}`)
      const source = allSignaturesSql(shards, options.references, `doc, idkey, ${bandCols.join(", ")}`)
      // This task's share of the band keys (keys are hashes, so `mod W` splits them evenly).
      yield* db.run(
        `CREATE TABLE entries AS
           SELECT band, key, doc, idkey FROM (UNPIVOT (${source}) ON ${bandCols.join(", ")} INTO NAME band VALUE key)
           WHERE key % ${ctx.world} = ${ctx.rank}`
      )
      // Lists only for the keys that repeat: almost every (band, key) has one document, and an ordered
      // list per group would cost a sort buffer each.
      yield* db.run(
        `CREATE TABLE groups AS
           SELECT list(doc ORDER BY idkey, doc) AS docs
           FROM entries SEMI JOIN (SELECT band, key FROM entries GROUP BY band, key HAVING count(*) > 1) USING (band, key)
           GROUP BY band, key`
      )
      yield* db.run("DROP TABLE entries")
      // Candidate pairs of every bucket, appended to DuckDB in chunks: nothing proportional to the
      // corpus stays in JS, and DuckDB spills what outgrows its memory limit.
      yield* db.run("CREATE TABLE candidates (a DOUBLE, b DOUBLE)")
      yield* appendRows(db, "candidates", 2, fail, (emit) =>
        Stream.fromAsyncIterable(readBatches(db.connection, "SELECT docs FROM groups"), fail("read buckets")).pipe(
          Stream.runForEach(({ batch, rowCount }) =>
            Effect.try({
              try: () => {
                for (let i = 0; i < rowCount; i++) {
                  const list = (batch.docs![i] as unknown as { items: bigint[] }).items.map(Number)
                  const pair = (x: number, y: number) => {
                    // Released data against itself is not this run's business.
                    if (!(isReference(x) && isReference(y))) emit(Math.min(x, y), Math.max(x, y))
                  }
                  if (list.length <= ALL_PAIRS_MAX) {
                    for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) pair(list[x]!, list[y]!)
                  } else {
                    for (let y = 1; y < list.length; y++) pair(list[0]!, list[y]!)
                  }
                }
                ctx.progress(0, 0)
              },
              catch: fail("pair buckets")
            })
          )
        )
      )
      yield* db.run("DROP TABLE groups")
      // Each distinct pair once (it may share several bands), verified by its two signatures, streamed.
      const width = options.bands * options.rows
      yield* db.run("CREATE TABLE pairs (a DOUBLE, b DOUBLE, similarity DOUBLE)")
      if (options.verify === "none") {
        yield* db.run("INSERT INTO pairs SELECT DISTINCT a, b, NULL FROM candidates")
      } else {
        const signatures = allSignaturesSql(shards, options.references, "doc, sig")
        yield* appendRows(db, "pairs", 3, fail, (emit) =>
          Stream.fromAsyncIterable(
            readBatches(
              db.connection,
              `WITH c AS (SELECT DISTINCT a, b FROM candidates),
                    s AS (SELECT doc, sig FROM (${signatures}) x SEMI JOIN (SELECT a AS doc FROM c UNION SELECT b FROM c) d USING (doc))
               SELECT c.a, c.b, sa.sig AS sig_a, sb.sig AS sig_b FROM c JOIN s sa ON sa.doc = c.a JOIN s sb ON sb.doc = c.b`
            ),
            fail("read candidate signatures")
          ).pipe(
            Stream.runForEach(({ batch, rowCount }) =>
              Effect.try({
                try: () => {
                  for (let i = 0; i < rowCount; i++) {
                    const s = estimatedJaccard(asWords(batch.sig_a![i]), 0, asWords(batch.sig_b![i]), 0, width)
                    if (s >= options.threshold) emit(Number(batch.a![i]), Number(batch.b![i]), s)
                  }
                },
                catch: fail("verify pairs")
              })
            )
          )
        )
      }
      const [counts] = yield* db.rows("SELECT (SELECT count(*) FROM (SELECT DISTINCT a, b FROM candidates))::INTEGER AS candidates, (SELECT count(*) FROM pairs)::INTEGER AS similar")
      ctx.counter.note("candidate-pairs", Number(counts?.candidates ?? 0))
      ctx.counter.note("similar-pairs", Number(counts?.similar ?? 0))
      yield* db.run("DROP TABLE candidates")
      yield* Effect.tryPromise({
        try: () => copyToParquet(db.connection, "SELECT a::BIGINT AS a, b::BIGINT AS b, similarity FROM pairs ORDER BY a, b", target),
        catch: fail("write pairs")
      })
      yield* db.run("DROP TABLE pairs")
    })
}


/**
 * MinHash phase 3, clusters (one task): the candidate pairs of every bucket task become connected
 * components (union-find over dense integers), and each component keeps one document by the stated
 * policy: released data first (a reference document is never removed), then the longest text — or the
 * first by source path and position — with ties broken by id. Every other member is removed, with the
 * kept document's id and the estimated Jaccard similarity between the two.
 *
 * Memory: only documents that are in some pair take part, as typed arrays (a few bytes each); the
 * pairs and the documents' attributes stream from DuckDB, which does the joins and sorts.
 */
import { Effect, Stream } from "effect"
import { DuckDB, sqlString } from "../core/duckdb.ts"
import { copyToParquet, readBatches } from "../core/parquet.ts"
import type { Stage } from "../core/stage.ts"
import { allSignaturesSql, isReference } from "./buckets.ts"
import { clusterRepresentatives, UnionFind } from "./minhash/clusters.ts"
import { estimatedJaccard } from "./minhash/signature.ts"
import { nearPhase } from "./options.ts"
import { appendRows, asWords } from "./rows.ts"

export const clustersStage: Stage = {
  name: "minhash-clusters",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { shards, options, target, fail } = yield* nearPhase(ctx)
      const signatureShards = (ctx.plan.params as { signatureShards?: string[] }).signatureShards ?? []
      const all = allSignaturesSql(signatureShards, options.references, "doc, id, source_path, source_index, text_bytes, sig")
      yield* db.run(`CREATE TABLE edges AS SELECT a, b FROM read_parquet([${shards.map(sqlString).join(", ")}]) GROUP BY a, b`)
      // The documents in some pair, numbered 0..n-1 in id order: the dense index is also the tie-break.
      yield* db.run(
        `CREATE TABLE nodes AS
           SELECT row_number() OVER (ORDER BY s.id, s.doc) - 1 AS ix, s.doc, s.id, s.source_path, s.source_index, s.text_bytes,
                  row_number() OVER (ORDER BY s.source_path, s.source_index, s.id, s.doc) AS first_rank
           FROM (${all}) s SEMI JOIN (SELECT a AS doc FROM edges UNION SELECT b FROM edges) e USING (doc)`
      )
      const [{ n } = { n: 0 }] = yield* db.rows("SELECT count(*)::INTEGER AS n FROM nodes")
      const count = Number(n)
      // Keep priority: released data first (score +∞), then the policy's measure (larger wins); ties by
      // the dense index, which is id order.
      const score = new Float64Array(count)
      const tieRank = new Int32Array(count)
      const isRef = new Uint8Array(count)
      yield* Stream.fromAsyncIterable(readBatches(db.connection, "SELECT ix, doc, text_bytes, first_rank FROM nodes ORDER BY ix"), fail("read nodes")).pipe(
        Stream.runForEach(({ batch, rowCount }) =>
          Effect.sync(() => {
            for (let i = 0; i < rowCount; i++) {
              const ix = Number(batch.ix![i])
              isRef[ix] = isReference(Number(batch.doc![i])) ? 1 : 0
              score[ix] = isRef[ix] ? Infinity : options.keep === "longest" ? Number(batch.text_bytes![i]) : 0
              tieRank[ix] = options.keep === "longest" ? ix : Number(batch.first_rank![i])
            }
          })
        )
      )
      const components = new UnionFind(count)
      yield* Stream.fromAsyncIterable(
        readBatches(db.connection, "SELECT na.ix AS x, nb.ix AS y FROM edges JOIN nodes na ON na.doc = edges.a JOIN nodes nb ON nb.doc = edges.b"),
        fail("read edges")
      ).pipe(
        Stream.runForEach(({ batch, rowCount }) =>
          Effect.sync(() => {
            for (let i = 0; i < rowCount; i++) components.union(Number(batch.x![i]), Number(batch.y![i]))
          })
        )
      )
      const clusters = clusterRepresentatives(components, { score, tieRank })
      // Every node is in some pair, so each root is a cluster of two or more documents.
      let clusterCount = 0
      for (let i = 0; i < count; i++) if (components.find(i) === i) clusterCount++
      ctx.counter.note("documents-in-pairs", count)
      ctx.counter.note("clusters", clusterCount)
      yield* db.run("CREATE TABLE removed (ix DOUBLE, kept DOUBLE, cluster_size DOUBLE)")
      yield* appendRows(db, "removed", 3, fail, (emit) =>
        Effect.sync(() => {
          for (let k = 0; k < clusters.removed.length; k++) {
            // Two released documents in one cluster: the second is not this run's to remove.
            if (!isRef[clusters.removed[k]!]) emit(clusters.removed[k]!, clusters.removedKept[k]!, clusters.clusterSize[k]!)
          }
        })
      )
      // Similarity of each removed document to the one kept for it, from the two signatures.
      const width = options.bands * options.rows
      yield* db.run("CREATE TABLE sims (ix DOUBLE, similarity DOUBLE)")
      yield* db.run(`CREATE TABLE sigs AS SELECT n.ix, s.sig FROM nodes n JOIN (${all}) s USING (doc)`)
      yield* appendRows(db, "sims", 2, fail, (emit) =>
        Stream.fromAsyncIterable(
          readBatches(db.connection, "SELECT r.ix, a.sig AS sig_a, b.sig AS sig_b FROM removed r JOIN sigs a ON a.ix = r.ix JOIN sigs b ON b.ix = r.kept"),
          fail("read signatures of removed documents")
        ).pipe(
          Stream.runForEach(({ batch, rowCount }) =>
            Effect.try({
              try: () => {
                for (let i = 0; i < rowCount; i++) emit(Number(batch.ix![i]), estimatedJaccard(asWords(batch.sig_a![i]), 0, asWords(batch.sig_b![i]), 0, width))
              },
              catch: fail("similarities")
            })
          )
        )
      )
      yield* Effect.tryPromise({
        try: () =>
          copyToParquet(
            db.connection,
            `SELECT r.doc, r.id, r.source_path, r.source_index, k.doc AS kept_doc, k.id AS kept_id, k.source_path AS kept_source_path,
                    k.source_index AS kept_source_index, x.cluster_size::BIGINT AS cluster_size, round(s.similarity, 4) AS similarity
             FROM removed x JOIN nodes r ON r.ix = x.ix JOIN nodes k ON k.ix = x.kept JOIN sims s ON s.ix = x.ix
             ORDER BY r.doc`,
            target
          ),
        catch: fail("write clusters")
      })
      const [removed] = yield* db.rows("SELECT count(*)::INTEGER AS n FROM removed")
      ctx.counter.note("near-copies", Number(removed?.n ?? 0))
      ctx.progress(0, 0)
    })
}


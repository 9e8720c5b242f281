/**
 * Scoring a dedup run against a planted corpus (src/dedup/planted.ts): the removal records name
 * documents by (source_path, source_index); the ingest dataset maps those to the planted ids the
 * JSONL carried (`metadata.source_id`). Used by the tests and `make bench`.
 */
import * as path from "node:path"
import { openDuckDB, sqlString } from "../core/duckdb.ts"
import type { RemovedDocument } from "./planted.ts"

/** Every removal of the dedup output `dedupDir`, as (planted id, planted id kept for it). */
export async function plantedRemovals(dedupDir: string, ingestDir: string): Promise<RemovedDocument[]> {
  const { instance, connection } = await openDuckDB()
  try {
    const docs = `read_parquet(${sqlString(path.join(ingestDir, "*.parquet"))})`
    const reader = await connection.runAndReadAll(
      `WITH d AS (SELECT source_path, source_index, json_extract_string(metadata, '$.source_id') AS pid FROM ${docs})
       SELECT a.pid AS id, b.pid AS kept_id
       FROM read_parquet(${sqlString(path.join(dedupDir, "_removed", "*.parquet"))}) r
       JOIN d a ON a.source_path = r.source_path AND a.source_index = r.source_index
       JOIN d b ON b.source_path = r.kept_source_path AND b.source_index = r.kept_source_index
       ORDER BY id`
    )
    return reader.getRowObjectsJS() as unknown as RemovedDocument[]
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

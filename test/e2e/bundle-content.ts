/**
 * Content checks of a finished run's work folder (not a test file itself): counts in manifests can all
 * agree while a stage garbles a text, so these read the rows and token ids themselves.
 *
 * - `textMismatches`: every document of every later stage and of the bundles has, by id, exactly its
 *   text after ingest (after the text tokenize read, for the stages from tokenize on: pii may replace
 *   identifiers, and then the id follows the new text), and the bundles hold exactly the classified documents.
 * - `tokenShardMismatches`: each bundle's token shards, read here from the raw .idx/.bin bytes (not
 *   through scicurate's writer), hold for each Parquet row, in order, the tokenizer's ids of the
 *   document's text as tokenize read it, followed by EOS.
 * - `readTokenShardsWith`: the same bundles through an independent Python reader (test/fixtures).
 *
 * Each returns a list of problems (empty when all agree), so a test can also show that a tampered copy
 * is caught.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { openDuckDB, sqlString } from "../../src/core/duckdb.ts"
import type { TokenizerName } from "../../src/pipeline/config.ts"
import { openTokenizer } from "../../src/tokenize/tokenizer.ts"
import { PYTHON, repoRoot } from "../helpers.ts"

/** The stages after ingest whose outputs carry each document's text, in pipeline order (those a run has). */
export const LATER_STAGES = ["dedup", "filter", "language", "pii", "decontaminate", "tokenize", "classify"] as const

/** The later stages a work folder holds. */
export const laterStagesIn = (work: string): string[] => LATER_STAGES.filter((s) => fs.existsSync(path.join(work, s, "_plan.json")))

/** The stage whose texts tokenize read (the folder its plan names), or ingest when there is no tokenize stage. */
function textsTokenizeRead(work: string): string {
  const plan = path.join(work, "tokenize", "_plan.json")
  if (!fs.existsSync(plan)) return "ingest"
  return path.basename((JSON.parse(fs.readFileSync(plan, "utf8")) as { input: { dir: string } }).input.dir)
}

const bundleNames = (work: string): string[] =>
  fs
    .readdirSync(path.join(work, "bundles"))
    .filter((d) => !d.startsWith("."))
    .sort()
const manifestOf = (work: string, bundle: string) => JSON.parse(fs.readFileSync(path.join(work, "bundles", bundle, "manifest.json"), "utf8"))
const parquetOf = (dir: string) => `read_parquet(${sqlString(path.join(dir, "part-*.parquet"))}, filename = true)`

export async function textMismatches(work: string): Promise<string[]> {
  const { connection } = await openDuckDB()
  const problems: string[] = []
  const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS()
  try {
    // Ids are content hashes, so exact duplicates share one (dedup keeps one of them): ingest may repeat
    // an id, but never with two different texts.
    const ingest = `(SELECT DISTINCT id, text FROM ${parquetOf(path.join(work, "ingest"))})`
    const [dup] = await rows(`SELECT count(*) - count(DISTINCT id) AS n FROM ${ingest}`)
    if (Number(dup!.n) !== 0) problems.push(`ingest: ${dup!.n} ids with two different texts`)
    const stages = laterStagesIn(work)
    const read = textsTokenizeRead(work)
    const sources: Array<[string, string]> = [
      ...stages.map((s): [string, string] => [s, parquetOf(path.join(work, s))]),
      ["bundles", `read_parquet(${sqlString(path.join(work, "bundles", "*", "data", "*.parquet"))}, filename = true)`]
    ]
    const referenceOf = (stage: string): string => (stage === "bundles" || stages.indexOf(stage) > stages.indexOf(read) ? read : "ingest")
    for (const [stage, table] of sources) {
      const reference = referenceOf(stage)
      const texts = reference === "ingest" ? ingest : `(SELECT DISTINCT id, text FROM ${parquetOf(path.join(work, reference))})`
      // Up to the text tokenize read, a document pii changed has a new id (its new text's hash) and says so in its metadata.
      const changedByPii = reference === "ingest" ? " AND json_extract(s.metadata, '$.pii') IS NULL" : ""
      const bad = await rows(
        `SELECT s.id, s.filename, i.id IS NULL AS unknown FROM ${table} s LEFT JOIN ${texts} i ON s.id = i.id ` +
          `WHERE (i.id IS NULL${changedByPii}) OR (i.id IS NOT NULL AND s.text IS DISTINCT FROM i.text) ORDER BY s.id LIMIT 5`
      )
      for (const b of bad) problems.push(`${stage}: ${b.unknown ? `id not in ${reference}` : `text differs from ${reference}`}: ${b.id} (${path.relative(work, String(b.filename))})`)
      const [n] = await rows(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM ${table}`)
      if (Number(n!.n) === 0) problems.push(`${stage}: no documents`)
      if (Number(n!.n) !== Number(n!.ids)) problems.push(`${stage}: ${Number(n!.n) - Number(n!.ids)} repeated ids`)
    }
    // The bundles hold exactly the classified documents: none lost on the way, none added.
    const classified = sources.find(([s]) => s === "classify")![1]
    const bundled = sources.find(([s]) => s === "bundles")![1]
    const [diff] = await rows(
      `SELECT (SELECT count(*) FROM (SELECT id FROM ${classified} EXCEPT SELECT id FROM ${bundled})) AS lost, ` +
        `(SELECT count(*) FROM (SELECT id FROM ${bundled} EXCEPT SELECT id FROM ${classified})) AS added`
    )
    if (Number(diff!.lost) + Number(diff!.added) !== 0) problems.push(`bundles: ${diff!.lost} classified documents missing, ${diff!.added} not classified`)
  } finally {
    connection.closeSync()
  }
  return problems
}

/** One Megatron indexed dataset (MMIDIDX v1) read from its bytes: the ids of each sequence. */
export function readIndexedDataset(prefix: string): { dtype: number; sequences: number[][] } {
  const idx = fs.readFileSync(`${prefix}.idx`)
  if (idx.toString("latin1", 0, 9) !== "MMIDIDX\x00\x00" || idx.readBigUInt64LE(9) !== 1n) throw new Error(`${prefix}.idx: not an MMIDIDX v1 index`)
  const dtype = idx.readUInt8(17)
  const count = Number(idx.readBigUInt64LE(18))
  const lengthsAt = 34
  const pointersAt = lengthsAt + 4 * count
  const bin = fs.readFileSync(`${prefix}.bin`)
  const width = dtype === 4 ? 4 : dtype === 8 ? 2 : 0
  if (width === 0) throw new Error(`${prefix}.idx: dtype code ${dtype} is neither int32 (4) nor uint16 (8)`)
  const sequences: number[][] = []
  for (let k = 0; k < count; k++) {
    const length = idx.readInt32LE(lengthsAt + 4 * k)
    const pointer = Number(idx.readBigInt64LE(pointersAt + 8 * k))
    const ids: number[] = []
    for (let j = 0; j < length; j++) ids.push(width === 4 ? bin.readInt32LE(pointer + 4 * j) : bin.readUInt16LE(pointer + 2 * j))
    sequences.push(ids)
  }
  return { dtype, sequences }
}

/** The Parquet rows' ids of one bundle shard, in file order, and every ingest text by id. */
async function shardIdsAndIngestTexts(work: string): Promise<{ shardIds: Map<string, string[]>; ingestText: Map<string, string> }> {
  const { connection } = await openDuckDB()
  try {
    const ingestText = new Map<string, string>()
    for (const r of (await connection.runAndReadAll(`SELECT id, text FROM ${parquetOf(path.join(work, textsTokenizeRead(work)))}`)).getRows()) ingestText.set(String(r[0]), String(r[1]))
    const shardIds = new Map<string, string[]>()
    for (const b of bundleNames(work))
      for (const shard of manifestOf(work, b).shards as Array<{ path: string }>) {
        const file = path.join(work, "bundles", b, shard.path)
        shardIds.set(file, (await connection.runAndReadAll(`SELECT id FROM read_parquet(${sqlString(file)})`)).getRows().map((r) => String(r[0])))
      }
    return { shardIds, ingestText }
  } finally {
    connection.closeSync()
  }
}

/**
 * Compare token shards, as read by `read` (prefix → sequences), with the tokenizer's ids of each row's
 * ingest text + EOS. Returns problems, at most a few per shard.
 */
export async function tokenShardMismatches(
  work: string,
  read: (prefixes: string[]) => number[][][] = (prefixes) => prefixes.map((p) => readIndexedDataset(p).sequences)
): Promise<{ problems: string[]; documents: number }> {
  const { shardIds, ingestText } = await shardIdsAndIngestTexts(work)
  const problems: string[] = []
  let documents = 0
  for (const b of bundleNames(work)) {
    const m = manifestOf(work, b)
    const tokenizer = openTokenizer(m.tokenizer.name as TokenizerName)
    const eos = m.tokenizer.eos_token_id as number
    try {
      if (m.token_shards.length !== m.shards.length) problems.push(`${b}: ${m.token_shards.length} token shards for ${m.shards.length} Parquet shards`)
      const reads = read((m.token_shards as Array<{ prefix: string }>).map((t) => path.join(work, "bundles", b, t.prefix)))
      for (const [i, shard] of (m.shards as Array<{ path: string }>).entries()) {
        const ids = shardIds.get(path.join(work, "bundles", b, shard.path))!
        const sequences = reads[i] ?? []
        if (sequences.length !== ids.length) problems.push(`${b}/${shard.path}: ${ids.length} rows, ${sequences.length} token sequences`)
        let shown = 0
        for (const [k, id] of ids.entries()) {
          const want = [...tokenizer.ids(ingestText.get(id) ?? ""), eos]
          const got = sequences[k] ?? []
          documents++
          if (got.length !== want.length || got.some((x, j) => x !== want[j])) {
            if (shown++ < 3) problems.push(`${b}/${m.token_shards[i].prefix}: sequence ${k} (${id}) is not the tokenizer's ids of its text + EOS`)
          }
        }
      }
    } finally {
      tokenizer.free()
    }
  }
  return { problems, documents }
}

/** A reader for `tokenShardMismatches` that runs test/fixtures/<script> (numpy or torch) by Debian's python3. */
export const readTokenShardsWith =
  (script: string, python = PYTHON) =>
  (prefixes: string[]): number[][][] => {
    if (prefixes.length === 0) return []
    const out = spawnSync(python, [path.join(repoRoot, "test/fixtures", script), ...prefixes], { encoding: "utf8", maxBuffer: 1024 * 1024 * 1024 })
    if (out.status !== 0) throw new Error(`${script} failed: ${out.stderr}`)
    return out.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { ids: number[][] }).ids)
  }

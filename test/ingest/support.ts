/** Helpers shared by the ingest and demo tests (not a test file itself). */
import { existsSync, statSync } from "node:fs"
import path from "node:path"
import type { Document } from "../../src/core/document.ts"
import { extractFile, type Extracted, type IngestOptions } from "../../src/ingest/extract.ts"

export const repoRoot = path.resolve(import.meta.dirname, "../..")
/** The shared real-data corpus, beside the repository; never copied into it. */
export const corpusRoot = path.resolve(repoRoot, process.env.SCICURATE_CORPUS ?? "../shared/corpus")
/** From test/helpers.ts, which records the corpus as a missing requirement (fatal under CI) when absent. */
export { hasCorpus } from "../helpers.ts"

export const defaultOptions: IngestOptions = { minChars: 20, maxFileBytes: 256 * 1024 * 1024, maxRecordBytes: 64 * 1024 * 1024 }

/**
 * Run the extractor over one file and collect every item. Fails the test (rather than letting the
 * exception escape) if the generator throws, since extractFile promises never to throw on bad input.
 */
export async function extractAll(
  absPath: string,
  options: IngestOptions = defaultOptions,
  sourcePath = path.basename(absPath),
  overrides: { size?: number; license?: string | null; domain?: string | null } = {}
): Promise<Extracted[]> {
  const size = overrides.size ?? (existsSync(absPath) ? statSync(absPath).size : 1)
  const items: Extracted[] = []
  try {
    for await (const item of extractFile(
      { absPath, sourcePath, size, license: overrides.license ?? null, domain: overrides.domain ?? null },
      options
    )) items.push(item)
  } catch (e) {
    throw new Error(`extractFile threw for ${sourcePath}: ${e instanceof Error ? e.stack : String(e)}`)
  }
  return items
}

/** The single item of a whole-file input. */
export async function extractOne(absPath: string, options: IngestOptions = defaultOptions, sourcePath?: string): Promise<Extracted> {
  const items = await extractAll(absPath, options, sourcePath)
  if (items.length !== 1) throw new Error(`expected exactly one item for ${absPath}, got ${items.length}`)
  return items[0]!
}

export function expectDocument(item: Extracted | undefined): Document {
  if (item?._tag !== "Document") {
    throw new Error(`expected a Document, got ${item === undefined ? "nothing" : `${item._tag} ${item.reason}: ${item.detail}`}`)
  }
  return item.doc
}

export const reasonOf = (item: Extracted | undefined): string =>
  item === undefined ? "none" : item._tag === "Document" ? "document" : `${item._tag}:${item.reason}`

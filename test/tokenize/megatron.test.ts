/**
 * Megatron indexed datasets (.bin + .idx): what scicurate writes, an independent reader (numpy memory-
 * map following Megatron's _IndexReader, run by Debian's python3) reads back as the same token
 * sequences, with EOS after each document, for int32 (o200k_base) and uint16 vocabularies.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { IndexedDatasetWriter, tokenDTypeFor } from "../../src/tokenize/megatron.ts"
import { openTokenizer } from "../../src/tokenize/tokenizer.ts"
import { corpusDir, hasCorpus, repoRoot, requirePresent, tempDir } from "../helpers.ts"

const PYTHON = "/usr/bin/python3"
const hasNumpy = requirePresent("numpy (Debian python3-numpy; make system-deps)", fs.existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import numpy"]).status === 0, "the Megatron reader tests")

interface Read {
  version: number
  dtype: string
  sequences: number
  document_index: number[]
  tokens: number
  bin_bytes: number
  ids: number[][]
}

const readBack = (prefix: string): Read => {
  const r = spawnSync(PYTHON, [path.join(repoRoot, "test/fixtures/read_megatron.py"), prefix], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as Read
}

describe("the Megatron dtype rule", () => {
  it("uses uint16 below 65,500 ids and int32 above, like Megatron's best_fitting_dtype", () => {
    expect(tokenDTypeFor(50257)).toBe("uint16")
    expect(tokenDTypeFor(65500)).toBe("int32")
    expect(tokenDTypeFor(200019)).toBe("int32")
  })

  it("refuses ids that do not fit and leaves no file behind", () => {
    const prefix = path.join(tempDir(), "bad")
    const w = new IndexedDatasetWriter(prefix, "uint16", 0)
    expect(() => w.add([70000])).toThrow(RangeError)
    w.abort()
    expect(fs.readdirSync(path.dirname(prefix))).toEqual([])
  })
})

describe.skipIf(!hasNumpy)("indexed datasets read back by numpy (Debian python3-numpy)", () => {
  // Real abstracts when the shared corpus is there (skipped, and recorded as missing, when not), and
  // synthetic sentences in a test named as such: no silent fallback from one to the other.
  it.skipIf(!hasCorpus)("int32: real abstracts tokenized with o200k_base come back as the same sequences, each ending in EOS", () => {
    const texts = fs.readFileSync(path.join(corpusDir, "text", "scitldr_A_train.jsonl"), "utf8").trim().split("\n").slice(0, 200).map((l) => (JSON.parse(l) as { text: string }).text)
    expect(texts.length).toBe(200)
    int32RoundTrip(texts)
  })

  it("int32: synthetic sentences tokenized with o200k_base come back as the same sequences, each ending in EOS", () => {
    int32RoundTrip(Array.from({ length: 50 }, (_, i) => `Document ${i}: the Lennard-Jones fluid at T* = ${(0.7 + i / 100).toFixed(2)} and rho* = 0.8.`))
  })

  const int32RoundTrip = (texts: string[]): void => {
    const tok = openTokenizer("o200k_base")
    const eos = 199999 // o200k_base's <|endoftext|>
    const prefix = path.join(tempDir(), "abstracts_text_document")
    const w = new IndexedDatasetWriter(prefix, "int32", eos)
    const written = texts.map((t) => Array.from(tok.encode(t)))
    for (const ids of written) w.add(ids)
    const done = w.finish()
    tok.free()
    const read = readBack(prefix)
    expect(read.version).toBe(1)
    expect(read.dtype).toBe("int32")
    expect(read.sequences).toBe(texts.length)
    expect(read.document_index).toEqual(Array.from({ length: texts.length + 1 }, (_, i) => i))
    expect(read.ids).toEqual(written.map((ids) => [...ids, eos]))
    expect(read.tokens).toBe(done.tokens)
    expect(read.bin_bytes).toBe(done.tokens * 4)
  }

  it("uint16: a small vocabulary is stored in 2 bytes per token, across the writer's 1 MiB buffer boundary", () => {
    const prefix = path.join(tempDir(), "small_vocab")
    const w = new IndexedDatasetWriter(prefix, "uint16", 50256)
    let seed = 7
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed % 50256)
    const written = Array.from({ length: 300 }, (_, d) => Array.from({ length: 1 + ((d * 977) % 4000) }, next))
    for (const ids of written) w.add(ids)
    const done = w.finish()
    expect(done.binBytes).toBeGreaterThan(1 << 20)
    const read = readBack(prefix)
    expect(read.dtype).toBe("uint16")
    expect(read.ids).toEqual(written.map((ids) => [...ids, 50256]))
    expect(read.bin_bytes).toBe(done.tokens * 2)
  })
})

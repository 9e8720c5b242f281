/**
 * The reader shape shared by the compression layers (readers/gzip.ts, zstd.ts, bzip2.ts, xz.ts): detect
 * the codec by its magic bytes, decompress as a stream, probe the content under its inner name and hand
 * it back to the router, which reads it like any file: a `.jsonl.gz` record by record, a `.tar.gz` member
 * by member, a `.pdf.xz` as a paper. Documents keep the compressed file as their source_path and
 * source_sha256 (the file as stored), and name the content as their member (`member x.jsonl, line 3`).
 */
import { CODECS, decompress, hasMagic, innerName, type Codec } from "./compression.ts"
import { Probe, PROBE_BYTES } from "./probe.ts"
import { Budget, BudgetExceeded, locationOf, type Reader, type Target } from "./reader.ts"
import { errorMessage, rejected } from "./types.ts"

export interface CompressedReaderSpec {
  readonly codec: Codec
  readonly priority: number
  readonly examples: ReadonlyArray<string>
}

/** The first `n` bytes of a stream (fewer when it is shorter), and whether it ended within them. */
async function streamHead(chunks: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Uint8Array; ended: boolean }> {
  const parts: Uint8Array[] = []
  let got = 0
  for await (const c of chunks) {
    parts.push(c)
    got += c.length
    if (got > n) return { head: Buffer.concat(parts).subarray(0, n), ended: false }
  }
  return { head: Buffer.concat(parts), ended: true }
}

const baseName = (p: string): string => p.slice(p.replace(/\\/g, "/").lastIndexOf("/") + 1)

export function compressedReader(spec: CompressedReaderSpec): Reader {
  const codec = CODECS[spec.codec]
  return {
    id: spec.codec,
    kind: "members",
    format: "(the content's)",
    priority: spec.priority,
    ceiling: 1,
    detectsOn: `${spec.codec} magic bytes (${codec.magic.map((b) => b.toString(16).padStart(2, "0")).join(" ")}), whatever the name`,
    examples: spec.examples,
    detect: (probe) => (hasMagic(probe.head, codec.magic) ? { score: 1, reason: `${spec.codec} magic bytes` } : null),
    async *read(target, ctx) {
      const limits = target.budget.limits
      if (target.depth >= limits.maxDepth) {
        yield rejected("nested-too-deep", `${spec.codec} stream nested ${target.depth} containers deep (max_depth ${limits.maxDepth})`, locationOf(target))
        return
      }
      const open = () => decompress(spec.codec, target.chunks(), target.budget)
      let head: { head: Uint8Array; ended: boolean }
      try {
        // The head is read again with the content: it is not counted twice against the file's budget.
        head = await streamHead(decompress(spec.codec, target.chunks(), new Budget(limits)), PROBE_BYTES)
      } catch (e) {
        const exceeded = e instanceof BudgetExceeded ? { reason: e.reason, detail: e.message } : null
        yield exceeded !== null ? rejected(exceeded.reason, exceeded.detail, locationOf(target)) : rejected("corrupt-archive", errorMessage(e), locationOf(target))
        return
      }
      if (head.head.length === 0) {
        yield rejected("empty-file", `the ${spec.codec} stream holds 0 bytes`, locationOf(target))
        return
      }
      const name = innerName(target.member?.path ?? target.probe.name, codec)
      const member = { index: target.member?.index ?? 1, path: target.member !== undefined ? name : baseName(name) }
      const inner: Target = {
        file: target.file,
        probe: new Probe(name, head.head, head.ended ? head.head.length : -1),
        path: null,
        bytes: null,
        member,
        chunks: open,
        sha256: () => target.sha256(),
        depth: target.depth + 1,
        budget: target.budget,
        via: [...(target.via ?? []), spec.codec],
        ...(target.licenseContext !== undefined ? { licenseContext: target.licenseContext } : {})
      }
      yield* ctx.route(inner)
    }
  }
}

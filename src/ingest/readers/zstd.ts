/** zstd compression: a layer, not a format (see compressed-reader.ts). */
import { compressedReader } from "../compressed-reader.ts"

export const zstdReader = compressedReader({ codec: "zstd", priority: 59, examples: ["shard.jsonl.zst", "run.log.zst"] })

/** gzip compression: a layer, not a format (see compressed-reader.ts). */
import { compressedReader } from "../compressed-reader.ts"

export const gzipReader = compressedReader({ codec: "gzip", priority: 60, examples: ["notes.txt.gz", "abstracts.jsonl.gz", "pkg.tar.gz", "pkg.tgz"] })

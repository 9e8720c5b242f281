/** bzip2 compression: a layer, not a format (see compressed-reader.ts). */
import { compressedReader } from "../compressed-reader.ts"

export const bzip2Reader = compressedReader({ codec: "bzip2", priority: 58, examples: ["OUTCAR.bz2", "data.csv.bz2"] })

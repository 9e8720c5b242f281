/** xz compression: a layer, not a format (see compressed-reader.ts). */
import { compressedReader } from "../compressed-reader.ts"

export const xzReader = compressedReader({ codec: "xz", priority: 57, examples: ["vasprun.xml.xz", "src.tar.xz"] })

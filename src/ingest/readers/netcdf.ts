/** netCDF classic, 64-bit offset and CDF-5 files (src/ingest/simulation/netcdf.ts), read by variable slices. */
import { extractBinaryData } from "../outputs.ts"
import { locationOf, type Reader } from "../reader.ts"
import type { ScientificBinaryType } from "../simulation/binary.ts"
import { rejected } from "../types.ts"

const NETCDF_TYPES: ReadonlySet<string> = new Set(["netCDF classic", "netCDF 64-bit offset", "netCDF CDF-5"])

export const netcdfReader: Reader = {
  id: "netcdf",
  kind: "simulation",
  format: "netcdf",
  priority: 100,
  ceiling: 1,
  detectsOn: "CDF\\x01 / CDF\\x02 / CDF\\x05 signature",
  examples: ["air.nc", "ocean.cdf"],
  detect: (probe) => (probe.sniffed._tag === "Binary" && NETCDF_TYPES.has(probe.sniffed.type) ? { score: 1, reason: `${probe.sniffed.type} signature` } : null),
  async *read(target, ctx) {
    const type = target.probe.sniffed._tag === "Binary" ? (target.probe.sniffed.type as ScientificBinaryType) : "netCDF classic"
    if (target.path === null) yield rejected("unsupported-format", `${type} inside an archive or compressed file is not read (it needs random access)`, locationOf(target))
    else yield await extractBinaryData(target.file, ctx.options, type)
  }
}

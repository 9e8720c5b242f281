/** HDF5 files (plain, netCDF-4, NeXus; src/ingest/simulation/hdf5.ts), read by variable slices. */
import { extractBinaryData } from "../outputs.ts"
import { locationOf, type Reader } from "../reader.ts"
import { rejected } from "../types.ts"

export const hdf5Reader: Reader = {
  id: "hdf5",
  kind: "simulation",
  format: "hdf5, netcdf4, nexus",
  priority: 100,
  ceiling: 1,
  detectsOn: "HDF5 signature (at 0, 512, 1024 or 2048)",
  examples: ["run.h5", "kappa.hdf5", "cloud.nc (netCDF-4)"],
  detect: (probe) => (probe.sniffed._tag === "Binary" && probe.sniffed.type === "HDF5" ? { score: 1, reason: "HDF5 signature" } : null),
  async *read(target, ctx) {
    // Read by seeking: only a file on disk, not a member or a decompressed stream.
    if (target.path === null) yield rejected("unsupported-format", "HDF5 inside an archive or compressed file is not read (it needs random access)", locationOf(target))
    else yield await extractBinaryData(target.file, ctx.options, "HDF5")
  }
}

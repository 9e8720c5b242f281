/**
 * Scientific binary containers, dispatched on the type the sniffer found in the file's first bytes:
 * HDF5 (plain, netCDF-4 or NeXus — decided by the HDF5 reader from the content) and the netCDF
 * classic family. Errors are thrown as Errors with a clear message for the caller to turn into a
 * reject reason.
 */
import { extractHdf5 } from "./hdf5.ts"
import { extractNetcdf } from "./netcdf.ts"
import type { ArrayReadOptions } from "./hdf5.ts"
import type { SimulationDocument } from "./types.ts"

export type ScientificBinaryType = "HDF5" | "netCDF classic" | "netCDF 64-bit offset" | "netCDF CDF-5"

/**
 * Describe a scientific binary file. netCDF-4 files arrive as "HDF5" (that is their container) and
 * come back with program "NetCDF", format "netcdf4"; NeXus files with program "NeXus", format "nexus".
 */
export async function extractScientificBinary(path: string, type: ScientificBinaryType, options: ArrayReadOptions = {}): Promise<SimulationDocument> {
  switch (type) {
    case "HDF5":
      return extractHdf5(path, options)
    case "netCDF classic":
    case "netCDF 64-bit offset":
    case "netCDF CDF-5":
      return extractNetcdf(path, options)
    default:
      throw new Error(`unsupported scientific binary type: ${String(type)}`)
  }
}

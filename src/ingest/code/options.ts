/** The `code:` block of an ingest stage, as the readers see it (kept apart so types.ts needs no reader). */
import type { FilterOptions } from "./filters.ts"
import type { Dep5, LicenseMatch } from "./license.ts"

export interface CodeOptions {
  /** SPDX ids allowed; null keeps every license. */
  readonly allowedLicenses: ReadonlyArray<string> | null
  /** Under an allow-list, keep files whose license is unknown (they are counted either way). */
  readonly keepUnknownLicense: boolean
  readonly filters: Partial<FilterOptions>
}

export const DEFAULT_CODE_OPTIONS: CodeOptions = { allowedLicenses: null, keepUnknownLicense: false, filters: {} }

/** Where a code file's license comes from when it has none of its own: its repository's license files, a DEP-5 file. */
export interface LicenseContext {
  readonly repo: LicenseMatch | null
  readonly dep5: Dep5 | null
}

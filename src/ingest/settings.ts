/**
 * The ingest stage's nested settings (`pdf:` and `code:`), apart from its definition so that the task
 * code can read their types without importing the definition (which loads the task code lazily).
 */
import { Schema } from "effect"
import { PositiveInt } from "../core/settings.ts"

export const PdfSettings = Schema.Struct({
  references: Schema.optionalKey(Schema.Literals(["keep", "drop", "separate"])).annotate({
    description: "The references section: kept in the text, dropped, or moved to metadata.references (default separate)"
  }),
  ocr: Schema.optionalKey(Schema.Boolean).annotate({
    description: "OCR pages without a text layer with tesseract when it is installed; otherwise such PDFs are rejected (default false)"
  }),
  ocr_languages: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[a-z_]+(\+[a-z_]+)*$/))).annotate({
    description: "tesseract languages joined by '+', e.g. eng+deu (default eng)"
  }),
  ocr_dpi: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(72), Schema.isLessThanOrEqualTo(600))).annotate({
    description: "Resolution pages are rendered at for OCR (default 300)"
  })
}).annotate({ title: "PdfSettings", description: "How PDFs become documents" })

export const CodeSettings = Schema.Struct({
  allowed_licenses: Schema.optionalKey(Schema.Array(Schema.String)).annotate({
    description: "SPDX ids whose files are kept (expressions like 'MIT OR GPL-2.0-only' pass when one side is allowed); others are filtered as license-not-allowed. Default: keep every license"
  }),
  keep_unknown_license: Schema.optionalKey(Schema.Boolean).annotate({
    description: "With allowed_licenses: keep files whose license is unknown (they are counted as noted:license-unknown either way; default false)"
  }),
  max_file_bytes: Schema.optionalKey(PositiveInt).annotate({ description: "Source files (and archive members) above this size are filtered as too-large (default 1 MiB)" }),
  max_line_length: Schema.optionalKey(PositiveInt).annotate({ description: "Files with a longer line are filtered as long-lines (default 1000)" }),
  max_avg_line_length: Schema.optionalKey(PositiveInt).annotate({ description: "Files with a longer mean line are filtered as long-lines (default 100)" }),
  min_alnum_fraction: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1))).annotate({
    description: "Files with a smaller share of letters and digits are filtered as low-alnum (default 0.25)"
  })
}).annotate({ title: "CodeSettings", description: "How source code becomes documents" })

const PositiveNumber = Schema.Finite.check(Schema.isGreaterThan(0))

export const WatchdogSettings = Schema.Struct({
  base_seconds: Schema.optionalKey(PositiveNumber).annotate({ description: "Time every file may take, whatever its size (default 300)" }),
  seconds_per_mb: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))).annotate({
    description: "Time added per MB of the file (default 10); a file still being read past its budget is rejected as timeout"
  }),
  max_rss_mb: Schema.optionalKey(PositiveNumber).annotate({
    description: "Resident memory a worker may reach while reading one file; past it the file is rejected as too-much-memory (default: no limit besides the worker's heap cap, whose exhaustion also rejects the file as too-much-memory)"
  })
}).annotate({
  title: "WatchdogSettings",
  description: "A time budget and a memory guard per input file: a file that overruns them is rejected and the task goes on (its worker is restarted when it must be stopped)"
})

/** How PDFs are turned into documents: the `pdf:` block of an ingest stage, with its defaults. */

/** What happens to a paper's references section: kept in the text, dropped, or moved to `metadata.references`. */
export type ReferencesPolicy = "keep" | "drop" | "separate"

export interface PdfOptions {
  readonly references: ReferencesPolicy
  /** OCR pages without a text layer with Debian's `tesseract` (when installed); otherwise they are rejected. */
  readonly ocr: boolean
  /** tesseract language codes joined by '+', e.g. "eng" or "eng+deu". */
  readonly ocrLanguages: string
  /** Render resolution for OCR, dots per inch. */
  readonly ocrDpi: number
}

export const DEFAULT_PDF_OPTIONS: PdfOptions = { references: "separate", ocr: false, ocrLanguages: "eng", ocrDpi: 300 }

/** The options of an ingest stage's `pdf:` block (snake_case, all optional) with defaults filled in. */
export const pdfOptionsOf = (settings: {
  readonly references?: ReferencesPolicy
  readonly ocr?: boolean
  readonly ocr_languages?: string
  readonly ocr_dpi?: number
} | undefined): PdfOptions => ({
  references: settings?.references ?? DEFAULT_PDF_OPTIONS.references,
  ocr: settings?.ocr ?? DEFAULT_PDF_OPTIONS.ocr,
  ocrLanguages: settings?.ocr_languages ?? DEFAULT_PDF_OPTIONS.ocrLanguages,
  ocrDpi: settings?.ocr_dpi ?? DEFAULT_PDF_OPTIONS.ocrDpi
})

/** How sure language detection must be for a file to count as code (see readers/code.ts). */

/** Language detection this sure (extension, shebang) makes a file code before any content check. */
export const CERTAIN_CODE = 0.8
/** Language detection this sure (content only) makes a file code when no program's log matched. */
export const LIKELY_CODE = 0.5

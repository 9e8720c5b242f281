/**
 * The ingest entry point, kept under its historical name: `extractFile` is the router's `readFile`
 * (router.ts), which scores every reader in readers/ and reads with the best.
 */
export { readFile as extractFile, READERS } from "./router.ts"
export type { Extracted, IngestOptions, InputFile } from "./types.ts"

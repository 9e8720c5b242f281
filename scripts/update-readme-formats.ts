/** Regenerate README.md's input format table from the reader registry (test/ingest/formats.test.ts checks it). */
import fs from "node:fs"
import path from "node:path"
import { formatRows, formatsMarkdown, withFormatsTable } from "../src/ingest/formats.ts"
import { READERS } from "../src/ingest/router.ts"

const readme = path.resolve(import.meta.dirname, "../README.md")
const next = withFormatsTable(fs.readFileSync(readme, "utf8"), formatsMarkdown(formatRows(READERS)))
fs.writeFileSync(`${readme}.tmp`, next)
fs.renameSync(`${readme}.tmp`, readme)

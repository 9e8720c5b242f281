/**
 * Write the demo corpus without going through the CLI: `node src/demo/write-sample.ts DIR`.
 */
import path from "node:path"
import { writeSampleCorpus } from "./sample-corpus.ts"

const dir = process.argv[2]
if (dir === undefined || dir === "" || process.argv.length > 3) {
  process.stderr.write("usage: node src/demo/write-sample.ts DIR\n")
  process.exit(2)
}
try {
  const { files } = await writeSampleCorpus(path.resolve(dir))
  for (const f of files) process.stdout.write(`${path.join(dir, f)}\n`)
  process.stderr.write(`wrote ${files.length} files to ${dir}\n`)
} catch (e) {
  process.stderr.write(`write-sample: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
}

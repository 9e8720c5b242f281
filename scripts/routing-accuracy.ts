/**
 * Routing accuracy of the bundle definitions on a labelled, ingested corpus:
 *
 *   node bin/scicurate.mjs ingest ../shared/corpus/papers ../shared/corpus/simulation ../shared/corpus/text --out /tmp/route-ingest
 *   node scripts/routing-accuracy.ts /tmp/route-ingest [--bundles bundles] [--sources ../shared/corpus/SOURCES.md] [--min-score N]
 *
 * Prints the accuracy on labelled papers + simulation files (one vote per file), on text records, the
 * confusion tables and the misrouted files with their reasons (src/classify/accuracy.ts does the work).
 * Exit status 0 whatever the accuracy; 2 on bad arguments.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { formatAccuracyReport, readDatasetDocuments, routingAccuracy } from "../src/classify/accuracy.ts"
import { loadBundleDefinitions } from "../src/classify/definitions.ts"
import { readSourceLabels } from "../src/classify/labels.ts"
import { DEFAULT_MIN_SCORE, compileClassifier } from "../src/classify/route.ts"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bundles: { type: "string", default: path.join(root, "bundles") },
    sources: { type: "string", default: path.resolve(root, "../shared/corpus/SOURCES.md") },
    "min-score": { type: "string" }
  }
})
if (positionals.length !== 1) {
  console.error("usage: node scripts/routing-accuracy.ts DATASET_DIR [--bundles DIR] [--sources SOURCES.md] [--min-score N]")
  process.exit(2)
}
const minScore = values["min-score"] !== undefined ? Number(values["min-score"]) : DEFAULT_MIN_SCORE
const classifier = compileClassifier(loadBundleDefinitions(values.bundles), { minScore })
const labels = readSourceLabels(fs.readFileSync(values.sources, "utf8"))
const docs = await readDatasetDocuments(positionals[0]!)
const report = routingAccuracy(docs, labels, classifier)
console.log(`bundles: ${values.bundles}; labels: ${values.sources} (${labels.length} files); min score ${minScore}; ${docs.length} documents`)
console.log(formatAccuracyReport(report))

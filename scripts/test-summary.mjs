// Prints the plain line `N passed, N failed` from vitest's JSON report (then what was skipped), so every
// CI run records what it tested whatever the reporter shows. Exits non-zero when the run is not green:
// a test failed, the report is missing, or — under CI (the CI variable set, as CI services do) — a test
// was skipped because a tool or the shared corpus was missing (test/helpers.ts `requirePresent` records
// those in .test-results/missing-requirements.jsonl). Outside CI such skips are only listed.
// Usage: node scripts/test-summary.mjs [vitest.json] [missing-requirements.jsonl]
import { existsSync, readFileSync } from "node:fs"

const file = process.argv[2] ?? ".test-results/vitest.json"
const missingFile = process.argv[3] ?? ".test-results/missing-requirements.jsonl"
if (!existsSync(file)) {
  console.log("0 passed, 1 failed")
  console.log(`(no vitest report at ${file})`)
  process.exit(1)
}
const r = JSON.parse(readFileSync(file, "utf8"))
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
console.log(`${skipped} skipped`)

/** One line per missing requirement, with what it made the run skip and which test files said so. */
const missing = new Map()
if (existsSync(missingFile))
  for (const line of readFileSync(missingFile, "utf8").split("\n")) {
    if (line.trim() === "") continue
    const { requirement, skipped: what, testFile } = JSON.parse(line)
    const entry = missing.get(requirement) ?? { what: new Set(), files: new Set() }
    entry.what.add(what)
    if (testFile && testFile !== "?") entry.files.add(testFile)
    missing.set(requirement, entry)
  }
const ci = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0"
for (const [requirement, { what, files }] of missing)
  console.log(`${ci ? "FAIL" : "skipped"}: ${requirement} is missing: ${[...what].join("; ")}${files.size ? ` (${[...files].join(", ")})` : ""}`)
const failedForMissing = ci && missing.size > 0
if (failedForMissing)
  console.log(`under CI a test skipped for a missing tool or corpus fails the run (${missing.size} missing); install them (make system-deps as root) or, for the corpus only, set SCICURATE_ALLOW_NO_CORPUS=1`)
// Last, so the run's log ends with it. Under CI each missing requirement counts as one failure, so the
// line agrees with the exit status.
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + (failedForMissing ? missing.size : 0)} failed`)
process.exit(failedForMissing || r.success === false || r.numFailedTests > 0 ? 1 : 0)

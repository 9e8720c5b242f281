// Prints the plain line `N passed, N failed, N skipped` from vitest's JSON report, so every CI run records
// what it tested whatever the reporter shows.
import { existsSync, readFileSync } from "node:fs"

const file = process.argv[2] ?? ".test-results/vitest.json"
if (!existsSync(file)) {
  console.log("0 passed, 1 failed")
  process.exit(0)
}
const r = JSON.parse(readFileSync(file, "utf8"))
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`)

/**
 * Where the bundle stage keeps its own files: one module that both the light stage definition and the
 * task code import (the definition loads the task code lazily, so neither may import the other).
 */
import * as path from "node:path"

/** Where the writing phase of a bundle stage keeps its plan, receipts and staged shards. */
export const shardsPhaseDir = (stageDir: string): string => path.join(stageDir, "_bundles", "shards")

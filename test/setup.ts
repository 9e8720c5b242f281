// Runs in every test file: temporary folders made through tempDir() go when the file's tests end
// (set SCICURATE_KEEP_TEST_DIRS=1 to keep them for a look).
import { afterAll } from "vitest"
import { removeTempDirs } from "./helpers.ts"

afterAll(() => removeTempDirs())

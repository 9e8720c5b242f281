/** Gaussian output, read by the GAUSSIAN_LOG parser (src/ingest/simulation/gaussian.ts). */
import { programReader } from "../log-reader.ts"
import { GAUSSIAN_LOG } from "../simulation/gaussian.ts"

export const gaussianLogReader = programReader({
  program: GAUSSIAN_LOG,
  name: "Gaussian",
  priority: 92,
  detectsOn: "Gaussian copyright banner, route section (#p ...)",
  examples: ["h2o.log", "opt.out"]
})

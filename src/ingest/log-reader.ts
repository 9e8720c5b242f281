/**
 * A reader for the output of one simulation program, built from its LogProgram (the parser in
 * src/ingest/simulation/): each file under readers/ names its program, priority and examples, and this
 * helper supplies the shared part (content detection scaled into the router's tiers, line reading).
 */
import type { Probe } from "./probe.ts"
import { readLinesOf, type Reader } from "./reader.ts"
import { DETECT_HEAD_CHARS } from "./simulation/detect.ts"
import type { LogProgram } from "./simulation/types.ts"

/**
 * Scores of program output sit in one band of the router's scale (see router.ts): above code that
 * only the content suggests and above JSONL recognised by content, below code whose extension is
 * certain and prose named as such (a Markdown page quoting a LAMMPS run stays text). A program's own
 * detector score (0.5–1) orders programs within the band.
 */
export const PROGRAM_BAND = { base: 0.95, width: 0.005 } as const

/** The program detectors' view of a probe: the first DETECT_HEAD_CHARS characters of its text. */
export const programHead = (probe: Probe): string => probe.memo("program-head", () => (probe.text.length > DETECT_HEAD_CHARS ? probe.text.slice(0, DETECT_HEAD_CHARS) : probe.text))

export interface ProgramReaderSpec {
  readonly program: LogProgram
  /** The program's name for listings ("LAMMPS"). */
  readonly name: string
  readonly priority: number
  readonly detectsOn: string
  readonly examples: ReadonlyArray<string>
}

export function programReader(spec: ProgramReaderSpec): Reader {
  const { program } = spec
  return {
    id: program.format,
    kind: "simulation",
    format: program.format,
    priority: spec.priority,
    ceiling: PROGRAM_BAND.base + PROGRAM_BAND.width,
    detectsOn: spec.detectsOn,
    examples: spec.examples,
    detect(probe) {
      if (probe.sniffed._tag !== "Text" || !probe.asciiCompatible) return null
      const s = program.detect(programHead(probe))
      if (s < 0.5) return null
      return { score: PROGRAM_BAND.base + PROGRAM_BAND.width * Math.min(1, s), reason: `content: ${spec.name} output (detector score ${s.toFixed(2)})` }
    },
    async *read(target, ctx) {
      yield await readLinesOf(target, ctx.options, program.create(), program.format)
    }
  }
}

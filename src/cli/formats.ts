/** `scicurate formats`: the readers ingest knows, as a table (`--json`, `--markdown` for the README). */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { formatRows, formatsMarkdown, formatsText } from "../ingest/formats.ts"
import { READERS } from "../ingest/router.ts"

export const formats = Command.make(
  "formats",
  {
    json: Flag.Boolean("json").pipe(Flag.withDescription("One JSON object per reader, one per line"), Flag.withDefault(false)),
    markdown: Flag.Boolean("markdown").pipe(Flag.withDescription("A Markdown table (the README's format table)"), Flag.withDefault(false))
  },
  (args) =>
    Effect.gen(function* () {
      const rows = formatRows(READERS)
      if (args.json) yield* Console.log(rows.map((r) => JSON.stringify(r)).join("\n"))
      else if (args.markdown) yield* Console.log(formatsMarkdown(rows))
      else yield* Console.log(formatsText(rows))
    })
).pipe(Command.withDescription("List the input formats ingest reads: reader, document kind, format, what it detects on, example files"))

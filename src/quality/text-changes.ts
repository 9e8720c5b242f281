/** A stage that may change documents' text must run before tokenize: token counts and ids follow the text. */
import type { PlanContext } from "../core/stage.ts"

export function beforeTokenize(ctx: Pick<PlanContext, "upstream">, stage: string): string | null {
  const tokenizer = ctx.upstream?.tokenizer ?? null
  return tokenizer === null
    ? null
    : `${stage}: its input was already tokenized (${tokenizer}) and ${stage} changes documents' text; put the ${stage} stage before tokenize`
}

/** Token usage as reported by OpenAI-compatible servers (`usage.prompt_tokens`, `usage.completion_tokens`). */
export interface TokenUsage {
  readonly input: number;
  readonly output: number;
}

/** Reads an OpenAI `usage` object; undefined when it has no numeric `prompt_tokens`. */
export function usageFromObject(value: unknown): TokenUsage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const u = value as { prompt_tokens?: unknown; completion_tokens?: unknown };
  if (typeof u.prompt_tokens !== 'number' || !Number.isFinite(u.prompt_tokens) || u.prompt_tokens < 0) return undefined;
  const output = typeof u.completion_tokens === 'number' && Number.isFinite(u.completion_tokens) && u.completion_tokens >= 0 ? u.completion_tokens : 0;
  return { input: u.prompt_tokens, output };
}

/** Appends the generated text of one response object (`choices[].message.content`, `.delta.content`, `.text`). */
export function choiceText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const choices = (value as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return '';
  let out = '';
  for (const c of choices) {
    if (typeof c !== 'object' || c === null) continue;
    const choice = c as { text?: unknown; message?: { content?: unknown }; delta?: { content?: unknown } };
    if (typeof choice.text === 'string') out += choice.text;
    if (typeof choice.message?.content === 'string') out += choice.message.content;
    if (typeof choice.delta?.content === 'string') out += choice.delta.content;
  }
  return out;
}

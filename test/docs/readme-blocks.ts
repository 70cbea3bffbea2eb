/** A fenced TypeScript block of a Markdown file. */
export interface Block {
  /** Line (1-based) of the block's first code line. */
  line: number;
  code: string;
}

/** The ```ts blocks of `markdown`, in order. */
export function typescriptBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    if (lines[index].trim() !== '```ts') continue;
    const end = lines.indexOf('```', index + 1);
    blocks.push({ line: index + 2, code: lines.slice(index + 1, end).join('\n') });
    index = end;
  }
  return blocks;
}

/** The first TypeScript block after the `## Quick start` heading. */
export function quickStart(markdown: string): Block {
  const start = markdown.indexOf('\n## Quick start');
  const [first] = typescriptBlocks(markdown.slice(start));
  const offset = markdown.slice(0, start).split('\n').length - 1;
  return { line: first.line + offset, code: first.code };
}

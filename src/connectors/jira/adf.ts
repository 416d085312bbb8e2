// Atlassian Document Format, the JSON Jira v3 takes for descriptions and comments. Baton writes
// plain text (a blank line starts a paragraph, a newline is a hard break) and reads any document
// back as plain text, so a flow neither builds nor parses ADF.

// Type aliases, not interfaces: jira.js's parameter types want an index signature.
export type AdfNode = {
  type: string;
  text?: string;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
};

export type AdfDoc = {
  type: 'doc';
  version: 1;
  content: AdfNode[];
};

/** Plain text as an ADF document. */
export function toAdf(text: string): AdfDoc {
  const paragraphs = text.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  const content = paragraphs
    .filter((p) => p.trim() !== '')
    .map((p): AdfNode => {
      const lines = p.split('\n');
      const inline: AdfNode[] = [];
      lines.forEach((line, i) => {
        if (i > 0) inline.push({ type: 'hardBreak' });
        if (line !== '') inline.push({ type: 'text', text: line });
      });
      return { type: 'paragraph', content: inline };
    });
  return { type: 'doc', version: 1, content };
}

const BLOCKS = new Set([
  'paragraph',
  'heading',
  'blockquote',
  'codeBlock',
  'listItem',
  'panel',
  'rule',
  'tableRow',
  'mediaSingle',
]);

/** An ADF document (or a v2 string) as plain text; anything else is empty. */
export function adfText(doc: unknown): string {
  if (typeof doc === 'string') return doc;
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    const node = n as AdfNode;
    if (node.type === 'text' && typeof node.text === 'string') out.push(node.text);
    else if (node.type === 'hardBreak') out.push('\n');
    else if (node.type === 'mention' || node.type === 'emoji') {
      const t = node.attrs?.['text'];
      if (typeof t === 'string') out.push(t);
    }
    if (Array.isArray(node.content)) for (const c of node.content) walk(c);
    if (BLOCKS.has(node.type)) out.push('\n\n');
  };
  walk(doc);
  return out
    .join('')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

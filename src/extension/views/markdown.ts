/** Markdown helpers for tooltips built from file contents (no vscode import). */

/** Escapes text so Markdown (and $(icon) syntax) shows it literally. */
export function mdEscape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>$~]/g, (c) => `\\${c}`);
}

/** A code span; backticks inside become quotes (code spans cannot escape them). */
export function mdCode(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\n/g, ' ')}\``;
}

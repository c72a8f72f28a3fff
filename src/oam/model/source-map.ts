import { isMap, isSeq, type LineCounter, type Document, type Node } from 'yaml';

export type ValuePath = (string | number)[];

/** Maps value paths of a parsed YAML document back to line/column. */
export class SourceMap {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly offset = 0,
  ) {}

  /** Position of the deepest node on `path` that exists (so a missing key points at its parent). */
  locate(path: ValuePath): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let range = (node as Node | null)?.range;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(seg),
        );
        if (!pair) break;
        node = pair.value;
        range = (pair.value as Node | null)?.range ?? (pair.key as Node | null)?.range ?? range;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (!item) break;
        node = item;
        range = (item as Node).range ?? range;
      } else break;
    }
    const pos = this.lines.linePos(range?.[0] ?? 0);
    return { line: pos.line + this.offset, column: pos.col };
  }

  /** Position of a key itself, when the key (not its value) is what is wrong. */
  locateKey(path: ValuePath): { line: number; column: number } {
    const parent = path.slice(0, -1);
    const last = path[path.length - 1];
    let node: unknown = this.doc.getIn(parent, true) ?? this.doc.contents;
    if (parent.length === 0) node = this.doc.contents;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(last),
      );
      const r = (pair?.key as Node | null)?.range;
      if (r) {
        const pos = this.lines.linePos(r[0]);
        return { line: pos.line + this.offset, column: pos.col };
      }
    }
    return this.locate(path);
  }
}

export function formatPath(path: ValuePath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

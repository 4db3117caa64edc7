/**
 * The INI dialect of oslo.config files: `[section]`, `key = value` (or
 * `key: value`), `#` and `;` comment lines, and continuation lines that start
 * with white space. Line numbers are kept so errors can point at the line.
 * Every problem of the text is collected, not only the first.
 */

export interface IniValue {
  readonly value: string;
  readonly line: number;
}

export type IniSections = Map<string, Map<string, IniValue>>;

export interface IniProblem {
  readonly line: number;
  /** Set for a problem with one option (a duplicate). */
  readonly section?: string;
  readonly option?: string;
  readonly message: string;
}

export class IniSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'IniSyntaxError';
  }
}

/** Parses the text; throws the first problem. For callers that want them all, `readIni`. */
export function parseIni(text: string): IniSections {
  const { sections, problems } = readIni(text);
  const first = problems[0];
  if (first) throw new IniSyntaxError(first.line, first.message);
  return sections;
}

export function readIni(text: string): { sections: IniSections; problems: IniProblem[] } {
  const sections: IniSections = new Map();
  const problems: IniProblem[] = [];
  let current: { name: string; map: Map<string, IniValue> } | undefined;
  let last: { key: string; map: Map<string, IniValue> } | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (/^\s*([#;].*)?$/.test(raw)) {
      last = undefined;
      return;
    }
    if (/^\s/.test(raw) && last) {
      const previous = last.map.get(last.key);
      const joined = `${previous?.value ?? ''}\n${raw.trim()}`.trim();
      last.map.set(last.key, { value: joined, line: previous?.line ?? line });
      return;
    }
    last = undefined;
    const header = /^\[([^\]]+)\]\s*$/.exec(raw.trim());
    if (header) {
      const name = header[1]!.trim();
      // oslo.config merges a section that appears twice; so do we.
      current = { name, map: sections.get(name) ?? new Map() };
      sections.set(name, current.map);
      return;
    }
    const pair = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw.trim());
    if (!pair) {
      problems.push({ line, message: `expected "name = value" or "[section]", found "${raw.trim().slice(0, 60)}"` });
      return;
    }
    if (!current) {
      problems.push({ line, message: 'option outside any [section]' });
      return;
    }
    const key = pair[1]!.trim();
    const earlier = current.map.get(key);
    if (earlier) {
      // oslo.config keeps the last value silently; an operator editing the first would see no effect.
      problems.push({ line, section: current.name, option: key, message: `set again (first set on line ${earlier.line}); keep one` });
      return;
    }
    current.map.set(key, { value: stripQuotes(pair[2]!.trim()), line });
    last = { key, map: current.map };
  });
  return { sections, problems };
}

function stripQuotes(value: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(value);
  return quoted ? quoted[2]! : value;
}

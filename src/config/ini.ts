/**
 * The INI dialect of oslo.config files: `[section]`, `key = value` (or
 * `key: value`), `#` and `;` comment lines, and continuation lines that start
 * with white space. Line numbers are kept so errors can point at the line.
 */

export interface IniValue {
  readonly value: string;
  readonly line: number;
}

export type IniSections = Map<string, Map<string, IniValue>>;

export class IniSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'IniSyntaxError';
  }
}

export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, IniValue> | undefined;
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
    const header = /^\[([^\]]+)\]\s*$/.exec(raw.trim());
    if (header) {
      const name = header[1]!.trim();
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      last = undefined;
      return;
    }
    const pair = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw.trim());
    if (!pair) throw new IniSyntaxError(line, `expected "name = value" or "[section]", found "${raw.trim().slice(0, 60)}"`);
    if (!current) throw new IniSyntaxError(line, 'option outside any [section]');
    const key = pair[1]!.trim();
    current.set(key, { value: stripQuotes(pair[2]!.trim()), line });
    last = { key, map: current };
  });
  return sections;
}

function stripQuotes(value: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(value);
  return quoted ? quoted[2]! : value;
}

/**
 * Reads the YAML that oslo.policy files are written in: one flat map of
 * `"rule name": "check string"`, with comments. `oslopolicy-sample-generator`
 * writes exactly this (commented-out defaults and quoted keys and values).
 * Anything beyond it (nesting, lists, multi-line scalars, anchors, tags) is
 * refused with the line number, rather than half-understood: a policy file
 * read wrongly grants or denies the wrong thing.
 */

export interface FlatEntry {
  readonly value: string;
  /** 1-based line of the entry in the file. */
  readonly line: number;
}

export class FlatYamlError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'FlatYamlError';
  }
}

/**
 * Plain scalars that YAML (PyYAML's 1.1 resolvers, which oslo.policy uses)
 * reads as something other than a string: booleans, numbers, null,
 * timestamps, the merge key. A rule whose check is `yes` or `1` is a mistake;
 * it must be quoted to mean the string.
 */
const NON_STRING = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|[-+]?0o[0-7]+)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:~|null|Null|NULL)$/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$/,
  /^(?:<<|=)$/,
];

/** Characters that may not start a plain (unquoted) YAML scalar. */
const INDICATORS = new Set(['[', ']', '{', '}', '&', '*', '!', '|', '>', '%', '@', '`', '-', '?', ',', '#']);

export function parseFlatYaml(text: string): Map<string, FlatEntry> {
  const entries = new Map<string, FlatEntry>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let started = false;
  let ended = false;
  lines.forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trimEnd();
    if (/^\s*(#.*)?$/.test(content)) return;
    const marker = /^(---|\.\.\.)(\s+#.*)?$/.exec(content)?.[1];
    // "---" may open the document and "..." may close it; a second document is refused.
    if (ended || (marker === '---' && started)) throw new FlatYamlError(line, 'only one YAML document is allowed');
    started = true;
    if (marker === '...') ended = true;
    if (marker) return;
    if (/^\s/.test(content)) throw new FlatYamlError(line, 'indented line: a policy file is a flat map of "rule": "check" (is a value split over two lines?)');
    const key = readScalar(content, 0, line, 'key');
    let position = skipSpaces(content, key.end);
    if (content[position] !== ':' || (position + 1 < content.length && !/\s/.test(content[position + 1]!))) {
      throw new FlatYamlError(line, `expected ": " after the key ${JSON.stringify(key.value)}`);
    }
    position = skipSpaces(content, position + 1);
    if (position >= content.length || content[position] === '#') {
      throw new FlatYamlError(line, `rule ${JSON.stringify(key.value)} has no value; write "" for a rule that always passes`);
    }
    const value = readScalar(content, position, line, 'value');
    const rest = content.slice(value.end).trim();
    if (rest && !rest.startsWith('#')) throw new FlatYamlError(line, `unexpected text after the value: ${JSON.stringify(rest)}`);
    if (entries.has(key.value)) {
      throw new FlatYamlError(line, `rule ${JSON.stringify(key.value)} is defined twice (first on line ${entries.get(key.value)!.line})`);
    }
    entries.set(key.value, { value: value.value, line });
  });
  return entries;
}

function skipSpaces(text: string, from: number): number {
  let position = from;
  while (position < text.length && (text[position] === ' ' || text[position] === '\t')) position++;
  return position;
}

/** Reads a quoted or plain scalar starting at `start`; `end` is just past it. */
function readScalar(text: string, start: number, line: number, what: 'key' | 'value'): { value: string; end: number } {
  const first = text[start];
  if (first === '"') return readDoubleQuoted(text, start, line);
  if (first === "'") return readSingleQuoted(text, start, line);
  if (first !== undefined && INDICATORS.has(first) && !(first === '-' && text[start + 1] !== undefined && !/\s/.test(text[start + 1]!))) {
    throw new FlatYamlError(line, `a ${what} starting with "${first}" must be quoted (this reader takes only "rule": "check" lines)`);
  }
  if (what === 'key') {
    // A plain key runs to the first ":" followed by a space or the end of the line.
    const match = /:(\s|$)/.exec(text.slice(start));
    if (!match) throw new FlatYamlError(line, 'expected "rule: check"');
    const end = start + match.index;
    return { value: plainString(text.slice(start, end).trim(), line, what), end };
  }
  // A plain value runs to " #" (a comment) or the end of the line.
  const comment = /\s#/.exec(text.slice(start));
  const end = comment ? start + comment.index : text.length;
  const value = text.slice(start, end).trim();
  if (/:\s/.test(value)) throw new FlatYamlError(line, `the value ${JSON.stringify(value)} contains ": "; quote it`);
  return { value: plainString(value, line, what), end };
}

function plainString(value: string, line: number, what: 'key' | 'value'): string {
  if (NON_STRING.some((pattern) => pattern.test(value))) {
    throw new FlatYamlError(line, `the ${what} ${value} is not a string to YAML (a boolean, number, null or date); quote it`);
  }
  return value;
}

function readSingleQuoted(text: string, start: number, line: number): { value: string; end: number } {
  let value = '';
  for (let position = start + 1; position < text.length; position++) {
    const char = text[position]!;
    if (char !== "'") {
      value += char;
      continue;
    }
    if (text[position + 1] === "'") {
      value += "'";
      position++;
      continue;
    }
    return { value, end: position + 1 };
  }
  throw new FlatYamlError(line, 'unterminated single-quoted string');
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', ' ': ' ', b: '\b', e: '\x1b', a: '\x07', f: '\f', v: '\v' };

function readDoubleQuoted(text: string, start: number, line: number): { value: string; end: number } {
  let value = '';
  for (let position = start + 1; position < text.length; position++) {
    const char = text[position]!;
    if (char === '"') return { value, end: position + 1 };
    if (char !== '\\') {
      value += char;
      continue;
    }
    const next = text[position + 1];
    if (next === 'x' || next === 'u' || next === 'U') {
      const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = text.slice(position + 2, position + 2 + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new FlatYamlError(line, `bad escape \\${next}${hex}`);
      value += String.fromCodePoint(Number.parseInt(hex, 16));
      position += 1 + width;
      continue;
    }
    const escaped = next === undefined ? undefined : ESCAPES[next];
    if (escaped === undefined) throw new FlatYamlError(line, `unknown escape \\${next ?? ''} in a double-quoted string`);
    value += escaped;
    position++;
  }
  throw new FlatYamlError(line, 'unterminated double-quoted string (multi-line strings are not supported)');
}

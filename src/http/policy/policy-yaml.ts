/**
 * Reads an oslo.policy YAML file: one map of `"rule name": "check string"`.
 * oslo.policy reads it with PyYAML's `safe_load`, a YAML 1.1 parser, so the
 * `yaml` package runs in its YAML 1.1 mode: `yes`, `on`, `1_000` and dates
 * mean what PyYAML makes of them, multi-line and folded scalars work as an
 * operator wrote them. Two things are stricter than PyYAML on purpose, since
 * a policy read wrongly grants or denies the wrong thing: a rule defined
 * twice is an error (PyYAML keeps the last), and a value YAML reads as
 * something other than a string (a boolean, number, null, date) is refused
 * with the line to quote.
 */
import { isAlias, isMap, isScalar, LineCounter, parseDocument } from 'yaml';

export interface PolicyEntry {
  readonly value: string;
  /** 1-based line of the entry in the file. */
  readonly line: number;
}

export class PolicyYamlError extends Error {
  constructor(
    readonly line: number | null,
    readonly detail: string,
  ) {
    super(line === null ? detail : `line ${line}: ${detail}`);
    this.name = 'PolicyYamlError';
  }
}

/** The parser's messages that speak to a programmer, said for an operator. */
const MESSAGES: Partial<Record<string, string>> = {
  DUPLICATE_KEY: 'a rule is defined twice',
  MULTIPLE_DOCS: 'only one YAML document is allowed',
  BAD_INDENT: 'indented line: a policy file is a flat map of "rule": "check" (is a value split over two lines?)',
};

export function parsePolicyYaml(text: string): Map<string, PolicyEntry> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: true, strict: true, prettyErrors: false, lineCounter: lines, merge: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? null : lines.linePos(offset).line);
  const [error] = doc.errors;
  if (error) {
    const detail = MESSAGES[error.code] ?? error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new PolicyYamlError(lineOf(error.pos[0]), detail);
  }
  const entries = new Map<string, PolicyEntry>();
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return entries;
  if (!isMap(doc.contents)) throw new PolicyYamlError(lineOf(doc.contents.range?.[0]), 'a policy file is a map of "rule": "check" strings');
  for (const pair of doc.contents.items) {
    const line = lineOf(isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? 0;
    if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
      throw new PolicyYamlError(line, `the rule name ${String(isScalar(pair.key) ? pair.key.value : pair.key)} is not a string; quote it`);
    }
    const name = pair.key.value;
    // An alias (`*admin`) stands for the node its anchor names, as in PyYAML.
    const value = isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
    if (value === null || value === undefined || (isScalar(value) && value.value === null && !value.source)) {
      throw new PolicyYamlError(line, `rule ${JSON.stringify(name)} has no value; write "" for a rule that always passes`);
    }
    if (!isScalar(value)) throw new PolicyYamlError(line, `rule ${JSON.stringify(name)}: the check must be a string, not a list or map`);
    // PyYAML resolves local tags (`!`, `!foo`) differently: only `!!str` is taken.
    if (value.tag !== undefined && value.tag !== 'tag:yaml.org,2002:str') {
      throw new PolicyYamlError(line, `rule ${JSON.stringify(name)}: the tag ${value.tag} is not allowed; write the check as a quoted string`);
    }
    if (typeof value.value !== 'string') {
      throw new PolicyYamlError(line, `rule ${JSON.stringify(name)}: ${String(value.source ?? value.value)} is not a string to YAML (a boolean, number, null or date); quote it`);
    }
    entries.set(name, { value: value.value, line });
  }
  return entries;
}

/**
 * Loads [DEFAULT] policy_file (YAML or JSON, as oslo.policy reads it) over
 * novajoin's built-in rules. Read once at start; every problem is a
 * PolicyError naming the file, the rule and where, so a bad policy stops the
 * service instead of quietly denying (or allowing) every request.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import { type Check, references } from './checks.js';
import { PolicyError } from './errors.js';
import { parsePolicyYaml, PolicyYamlError } from './policy-yaml.js';
import { CheckSyntaxError, parseCheck } from './parser.js';
import { DEFAULT_RULE_NAME, DEFAULT_RULES, Policy } from './policy.js';

interface RuleText {
  readonly text: string;
  /** Line in the policy file, when the rule came from one. */
  readonly line?: number;
}

/** The policy from `file` merged over the defaults; a missing file (or '') means the defaults. */
export function loadPolicy(file: string, logger: Logger = silentLogger()): Policy {
  const rules = new Map<string, RuleText>(Object.entries(DEFAULT_RULES).map(([name, text]) => [name, { text }]));
  if (!file) return buildPolicy(rules, 'defaults', logger);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      logger.info('no policy file; using the built-in policy defaults', { file });
      return buildPolicy(rules, 'defaults', logger);
    }
    throw new PolicyError(file, null, `cannot be read: ${(error as Error).message}`);
  }
  const fromFile = parsePolicyText(file, text);
  for (const [name, rule] of fromFile) rules.set(name, rule);
  const overridden = [...fromFile.keys()].filter((name) => name in DEFAULT_RULES);
  const policy = buildPolicy(rules, file, logger);
  logger.info('policy loaded', { file, rules: fromFile.size, overridden });
  return policy;
}

/** Rules from check strings (for `novajoin dev`, tests and callers with their own source). */
export function policyFromRules(overrides: Readonly<Record<string, string>>, logger: Logger = silentLogger(), source = 'inline'): Policy {
  const rules = new Map<string, RuleText>(Object.entries({ ...DEFAULT_RULES, ...overrides }).map(([name, text]) => [name, { text }]));
  return buildPolicy(rules, source, logger);
}

/** JSON when it looks like JSON (oslo reads both with a YAML parser; JSON is a subset). */
export function parsePolicyText(file: string, text: string): Map<string, RuleText> {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('{')) return parseJsonPolicy(file, trimmed);
  if (trimmed.startsWith('[')) throw new PolicyError(file, null, 'the old list-of-lists policy syntax is not supported; write "rule": "check" strings');
  try {
    const entries = parsePolicyYaml(text);
    return new Map([...entries].map(([name, entry]) => [name, { text: entry.value, line: entry.line }]));
  } catch (error) {
    if (error instanceof PolicyYamlError) throw new PolicyError(file, null, error.message);
    throw error;
  }
}

function parseJsonPolicy(file: string, text: string): Map<string, RuleText> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // V8 sometimes quotes the whole input in its message: keep only the first clause.
    const message = (error as Error).message.replace(/, ".*$/s, '');
    const position = /position (\d+)/.exec(message);
    const where = position ? ` (line ${text.slice(0, Number(position[1])).split('\n').length})` : '';
    throw new PolicyError(file, null, `is not valid JSON${where}: ${message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new PolicyError(file, null, 'must be a JSON object of "rule": "check"');
  }
  const rules = new Map<string, RuleText>();
  for (const [name, value] of Object.entries(data)) {
    if (typeof value !== 'string') {
      throw new PolicyError(file, name, Array.isArray(value) ? 'the old list syntax is not supported; write a check string' : 'the value must be a check string');
    }
    rules.set(name, { text: value });
  }
  return rules;
}

function buildPolicy(texts: ReadonlyMap<string, RuleText>, source: string, logger: Logger): Policy {
  const rules = new Map<string, Check>();
  for (const [name, rule] of texts) {
    try {
      rules.set(name, parseCheck(rule.text));
    } catch (error) {
      if (!(error instanceof CheckSyntaxError)) throw error;
      const line = rule.line === undefined ? '' : `line ${rule.line}: `;
      throw new PolicyError(source, name, `${line}${error.detail} at column ${error.column} of ${JSON.stringify(rule.text)}`);
    }
  }
  rejectLoops(rules, source);
  const policy = new Policy(rules, source, logger);
  // Warn now, once, about references to rules that do not exist (they deny).
  for (const [name, check] of rules) {
    for (const reference of references(check)) {
      if (!rules.has(reference) && !rules.has(DEFAULT_RULE_NAME)) policy.warnUndefined(reference, name);
    }
  }
  return policy;
}

/** `a: rule:b`, `b: rule:a` would recurse forever at the first request. */
function rejectLoops(rules: ReadonlyMap<string, Check>, source: string): void {
  // What a name evaluates to: itself, or oslo's `default` rule when undefined.
  const effective = (name: string) => (rules.has(name) ? name : name !== DEFAULT_RULE_NAME && rules.has(DEFAULT_RULE_NAME) ? DEFAULT_RULE_NAME : undefined);
  const done = new Set<string>();
  const visit = (name: string, path: readonly string[]): void => {
    const node = effective(name);
    if (node === undefined || done.has(node)) return;
    if (path.includes(node)) {
      throw new PolicyError(source, node, `rules refer to each other in a loop: ${[...path.slice(path.indexOf(node)), node].join(' -> ')}`);
    }
    for (const reference of references(rules.get(node)!)) visit(reference, [...path, node]);
    done.add(node);
  };
  for (const name of rules.keys()) visit(name, []);
}

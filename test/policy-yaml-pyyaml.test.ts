/**
 * The policy file reader against PyYAML, the parser oslo.policy itself uses
 * (`yaml.safe_load`, Debian's python3-yaml): for every document PyYAML reads
 * as a map of strings, novajoin reads the same map; where PyYAML reads
 * something else (a boolean, a number, a list), novajoin refuses with a
 * message, never reads a different meaning. Where PyYAML refuses the file
 * outright (a syntax error), novajoin may refuse it too or read it: no meaning
 * is at stake then, oslo.policy would not load it at all.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { parsePolicyYaml } from '../src/http/policy/policy-yaml.js';

const CORPUS: readonly string[] = [
  // As oslopolicy-sample-generator writes it, commented defaults and all.
  '# Decides whether the API call is allowed\n#"context_is_admin": "role:admin"\n\n"join:create": "rule:compute_service_user"\n"compute_service_user": "user_name:nova and rule:service_project"\n',
  '---\njoin:create: rule:compute_service_user or role:admin\nservice_project: project_name:service   # ours\n...\n',
  "'a': 'it''s'\n\"b\": \"tab\\there \\\"q\\\" \\u00e9\"\nc: '#not a comment'\nd: a#b\n",
  'e:\t"tabbed"\n"f" : "space before colon"\ng: ""\n"h": \'\'\n',
  'user_name:nova: "rule:x"\nnot-a-list: -x\nversion: 1.2.3\nword: yesterday\n',
  '"bom": "@"\r\n"crlf": "!"\r\n',
  // Long rules as operators wrap them.
  '"join:create": >-\n  role:admin or\n  (role:member and project_id:%(project_id)s)\n',
  '"join:create": |\n  role:admin\n',
  '"join:create": "role:admin or\n  role:member"\n',
  'join:create: role:admin or\n  role:member\n',
  "'join:create': 'role:admin or\n\n  role:member'\n",
  // Flow style, anchors and aliases.
  '{"join:create": "role:admin", "x": "@"}\n',
  'admin: &admin role:admin\njoin:create: *admin\n',
  // Plain scalars that YAML 1.1 reads as something else.
  'a: yes\n', 'a: on\n', 'a: 1\n', 'a: 1_000\n', 'a: 0o17\n', 'a: ~\n', 'a: 2024-01-02\n', 'a: .inf\n', 'a: 1:20\n',
  // Not a map of strings.
  'a: !\n', 'a: !!str yes\n', 'a: !foo x\n', 'a: "\\q"\n', "a: 'x' trailing\n", 'a: b: c\n', 'just text\n',
  '- role:admin\n', 'a:\n  - role:admin\n', 'a:\n  b: role:admin\n', '"a": "x"\n---\n"b": "y"\n', '"unterminated: "x\n', 'a: [x\n',
  // Empty files.
  '', '# only comments\n',
];

interface PyResult {
  readonly ok: boolean;
  readonly value?: unknown;
}

function pyyaml(docs: readonly string[]): PyResult[] {
  const script = `
import json, sys, yaml
def plain(v):
    # Only strings, maps and lists cross as themselves: anything else (bool, number, date) is marked.
    if isinstance(v, str) or v is None:
        return v
    if isinstance(v, dict):
        return {str(k) if isinstance(k, str) else repr(k): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return {"__not_a_string__": repr(v)}
out = []
for doc in json.load(sys.stdin):
    try:
        out.append({"ok": True, "value": plain(yaml.safe_load(doc))})
    except yaml.YAMLError:
        out.append({"ok": False})
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(docs), encoding: 'utf8' })) as PyResult[];
}

const stringMap = (v: unknown): v is Record<string, string> =>
  v === null || (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === 'string'));

const theirs = pyyaml(CORPUS);

for (const [index, doc] of CORPUS.entries()) {
  test(`document ${index}: read as PyYAML reads it, or refused: ${JSON.stringify(doc).slice(0, 60)}`, (t) => {
    const py = theirs[index]!;
    let ours: Record<string, string> | Error;
    try {
      ours = Object.fromEntries([...parsePolicyYaml(doc)].map(([k, e]) => [k, e.value]));
    } catch (error) {
      ours = error as Error;
    }
    if (py.ok && stringMap(py.value)) {
      t.deepEqual(ours, py.value ?? {}, 'PyYAML reads a map of strings: so must we');
    } else if (py.ok) {
      t.true(ours instanceof Error, `PyYAML reads ${JSON.stringify(py.value)}: we must refuse, not read ${JSON.stringify(ours)}`);
      t.regex((ours as Error).message, /\S/);
    } else {
      t.pass('PyYAML refuses the file; oslo.policy would not load it');
    }
  });
}

test('a rule defined twice is an error with its line (PyYAML would keep the last silently)', (t) => {
  t.throws(() => parsePolicyYaml('"a": "role:x"\n"b": "@"\n"a": "role:y"\n'), { message: /line 3: a rule is defined twice/ });
});

test('a value YAML reads as a boolean names the line and says to quote it', (t) => {
  t.throws(() => parsePolicyYaml('"a": "@"\n"join:create": yes\n'), { message: /line 2: rule "join:create": yes is not a string .*quote it/ });
});

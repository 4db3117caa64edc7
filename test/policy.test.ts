import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import test from 'ava';
import { Forbidden } from '../src/errors.js';
import { createLogger } from '../src/log/logger.js';
import type { Caller } from '../src/openstack/caller.js';
import { type Credentials, CheckSyntaxError, PolicyError, loadPolicy, parseCheck, policyFromRules } from '../src/http/policy/index.js';

const dir = mkdtempSync(join(tmpdir(), 'novajoin-policy-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(name: string, text: string): string {
  const path = join(dir, `${counter++}-${name}`);
  writeFileSync(path, text);
  return path;
}

function caller(overrides: Partial<Caller> = {}): Caller {
  return {
    userId: 'u1', userName: 'nova', userDomainId: 'default',
    projectId: 'p1', projectName: 'service', projectDomainId: 'default',
    roles: ['service'], expiresAt: Date.now() + 3_600_000, isAdminProject: true,
    ...overrides,
  };
}

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ stream, format: 'json', debug: true }), lines };
}

test('defaults: the nova user of the service project may join, nobody else', (t) => {
  const policy = loadPolicy('');
  const allowed = (c: Caller) => policy.enforce('join:create', policy.credentials(c));
  t.true(allowed(caller()));
  t.false(allowed(caller({ userName: 'demo' })), 'another user of the service project');
  t.false(allowed(caller({ projectName: 'demo' })), 'nova scoped to another project');
  t.false(allowed(caller({ userName: 'Nova' })), 'user names are case-sensitive');
  t.false(allowed(caller({ userName: 'admin', roles: ['admin'] })), 'admin is not the compute service user');
  const { authorizeCaller } = policy; // passed around unbound as an Authorize
  t.notThrows(() => authorizeCaller('join:create', caller()));
  const error = t.throws(() => policy.authorizeCaller('join:create', caller({ userName: 'demo' })), { instanceOf: Forbidden });
  t.is(error?.status, 403);
  t.is(error?.message, "Policy doesn't allow join:create to be performed.");
});

test('credentials: is_admin comes from context_is_admin and brings the admin role', (t) => {
  const policy = policyFromRules({ context_is_admin: 'role:cloud-admin' });
  const admin = policy.credentials(caller({ roles: ['Cloud-Admin'] }));
  t.is(admin.is_admin, true);
  t.deepEqual(admin.roles, ['Cloud-Admin', 'admin']);
  t.like(admin, { user_id: 'u1', user_name: 'nova', project_id: 'p1', project_name: 'service' });
  t.is(policy.credentials(caller()).is_admin, false);
});

test('a missing policy file means the defaults, said at info', (t) => {
  const { logger, lines } = capture();
  const policy = loadPolicy(join(dir, 'absent.yaml'), logger);
  t.true(policy.enforce('join:create', policy.credentials(caller())));
  t.true(lines.some((line) => line.includes('"level":"info"') && line.includes('using the built-in policy defaults')));
});

test('a YAML policy file overrides the defaults', (t) => {
  const path = file('policy.yaml', [
    '# novajoin policy',
    '---',
    '',
    '#"context_is_admin": "role:admin"',
    '"compute_service_user": "user_name:nova-vendordata and rule:service_project"  # renamed user',
    "service_project: 'project_name:services'",
    'join:create: rule:compute_service_user or rule:context_is_admin',
    '"extra": ""',
  ].join('\n'));
  const policy = loadPolicy(path);
  const allowed = (c: Caller) => policy.enforce('join:create', policy.credentials(c));
  t.false(allowed(caller()));
  t.true(allowed(caller({ userName: 'nova-vendordata', projectName: 'services' })));
  t.false(allowed(caller({ userName: 'nova-vendordata', projectName: 'service' })));
  t.true(allowed(caller({ userName: 'someone', roles: ['admin'] })));
  t.true(policy.enforce('extra', {}), 'an empty check string always passes');
});

test('a JSON policy file overrides the defaults', (t) => {
  const path = file('policy.json', JSON.stringify({ 'join:create': 'role:service', service_project: 'project_name:svc' }));
  const policy = loadPolicy(path);
  t.true(policy.enforce('join:create', policy.credentials(caller({ userName: 'anyone', projectName: 'x' }))));
  t.false(policy.enforce('join:create', policy.credentials(caller({ roles: ['member'] }))));
  t.true(policy.enforce('compute_service_user', policy.credentials(caller({ projectName: 'svc' }))));
});

const creds: Credentials = {
  user_id: 'u1', user_name: 'nova', project_id: 'p1', project_name: 'service',
  roles: ['Service', 'reader'], is_admin: false, nested: 'x',
};

function check(rule: string, extra: Record<string, string> = {}, c: Credentials = creds): boolean {
  return policyFromRules({ 'r:under-test': rule, yes: '@', no: '!', ...extra }).enforce('r:under-test', c);
}

test('every kind of check and operator', (t) => {
  t.true(check('@'));
  t.false(check('!'));
  t.true(check(''));
  t.true(check('   '));
  t.true(check('role:service'), 'roles compare case-insensitively');
  t.false(check('role:admin'));
  t.true(check('user_name:nova'));
  t.false(check('user_name:NOVA'), 'generic checks are case-sensitive');
  t.true(check('project_name:service'));
  t.true(check('project_id:p1'));
  t.true(check('user_id:u1'));
  t.false(check('user_id:u2'));
  t.true(check('is_admin:False'), 'booleans as Python prints them');
  t.true(check('roles:reader'), 'a generic check on a list is membership');
  t.false(check('unknown_attribute:x'));
  t.true(check('project_id:%(project_id)s'), 'target substitution from the credentials');
  t.false(check('project_id:%(missing)s'));
  t.true(check('rule:yes'));
  t.false(check('rule:no'));
  t.true(check('@ and @'));
  t.false(check('@ and !'));
  t.true(check('! or @'));
  t.false(check('! or !'));
  t.true(check('not !'));
  t.false(check('not @'));
  t.true(check('not not @'));
  t.true(check('NOT ! AND @'), 'keywords are case-insensitive');
});

test('precedence: not, then and, then or; parentheses group', (t) => {
  t.true(check('@ or ! and !'), '@ or (! and !)');
  t.false(check('(@ or !) and !'));
  t.true(check('! and ! or @'), '(! and !) or @');
  t.false(check('not @ or !'), '(not @) or !');
  t.true(check('not (! or !)'));
  t.true(check('((role:service))'));
  t.true(check('(user_name:nova and (project_name:demo or role:reader))'));
  t.false(check('(user_name:nova and (project_name:demo or role:admin))'));
});

test('unknown rule references deny, with one warning per name', (t) => {
  const { logger, lines } = capture();
  const policy = policyFromRules({ a: 'rule:missing or @', b: 'rule:missing' }, logger);
  t.true(policy.enforce('a', {}));
  t.false(policy.enforce('b', {}));
  t.false(policy.enforce('no-such-rule', {}));
  t.false(policy.enforce('no-such-rule', {}));
  const warnings = lines.filter((line) => line.includes('"level":"warn"'));
  t.is(warnings.filter((line) => line.includes('"rule":"missing"')).length, 1);
  t.is(warnings.filter((line) => line.includes('"rule":"no-such-rule"')).length, 1);
});

test("oslo's default rule answers for undefined names", (t) => {
  const policy = policyFromRules({ default: 'role:service' });
  t.true(policy.enforce('anything', { roles: ['service'] }));
  t.false(policy.enforce('anything', { roles: [] }));
});

test('parse errors name the rule and the column', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['role:admin and', /expected a check after "and" but the string ended at column 15/],
    ['role:admin or or role:x', /expected a check but found "or" at column 15/],
    ['(role:admin', /missing "\)" for the "\(" at column 1 at column 12/],
    ['role:admin)', /unexpected "\)" at column 11/],
    ['admin', /"admin" is not a check .* at column 1/],
    ['role:', /has no value after ":" at column 1/],
    [':admin', /has no kind before ":"/],
    ['user_name:nova and http://example.com/check', /remote http: checks are not supported at column 20/],
    ['"quoted"', /quoted literal/],
  ];
  for (const [text, expected] of cases) {
    const error = t.throws(() => policyFromRules({ 'join:create': text }), { instanceOf: PolicyError });
    t.regex(error?.message ?? '', /rule "join:create"/);
    t.regex(error?.message ?? '', expected, text);
  }
  const syntax = t.throws(() => parseCheck('@ and ) '), { instanceOf: CheckSyntaxError });
  t.is(syntax?.column, 7);
});

test('a parse error in a file names the file, rule, line and column', (t) => {
  const path = file('bad.yaml', '# comment\n"context_is_admin": "role:admin"\n"join:create": "rule:compute_service_user and and"\n');
  const error = t.throws(() => loadPolicy(path), { instanceOf: PolicyError });
  t.is(error?.message, `${path}: rule "join:create": line 3: expected a check but found "and" at column 31 of "rule:compute_service_user and and"`);
});

test('rules that refer to each other in a loop are refused at load', (t) => {
  const error = t.throws(() => policyFromRules({ a: 'rule:b', b: 'role:x or rule:c', c: 'rule:a' }), { instanceOf: PolicyError });
  t.regex(error?.message ?? '', /loop: a -> b -> c -> a/);
  t.throws(() => policyFromRules({ self: 'not rule:self' }), { instanceOf: PolicyError });
});

test('YAML that is not a map of strings is refused with the line', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['a: "@"\nnested:\n  b: "@"\n', /line 2: rule "nested": the check must be a string, not a list or map/],
    ['a: "@"\n  b: "@"\n', /line 2: /],
    ['- "a"\n', /line 1: a policy file is a map of "rule": "check" strings/],
    ['a: [1, 2]\n', /line 1: rule "a": the check must be a string/],
    ['a: "unterminated\n', /line 2: Missing closing "quote/],
    ["a: 'x' trailing\n", /line 1: /],
    ['a: "@"\na: "!"\n', /line 2: a rule is defined twice/],
    ['just text\n', /line 1: a policy file is a map of "rule": "check" strings/],
    ['a: b: c\n', /line 1: /],
    ['a: "@"\n---\nb: "@"\n', /line 2: only one YAML document is allowed/],
    ['a: "@"\n...\nb: "@"\n', /line 3: only one YAML document is allowed/],
    ['a: "\\q"\n', /line 1: Invalid escape sequence \\q/],
    ['[["role:admin"]]', /old list-of-lists/],
    ['a: yes\n', /line 1: rule "a": yes is not a string to YAML .*; quote it/],
    ['a: 1\n', /rule "a": 1 is not a string/],
    ['a: -1.5\n', /rule "a": -1.5 is not a string/],
    ['a: ~\n', /rule "a": ~ is not a string/],
    ['a: 2024-01-02\n', /is not a string/],
    ['true: "@"\n', /the rule name true is not a string/],
    ['a:\n', /line 1: rule "a" has no value/],
  ];
  for (const [text, expected] of cases) {
    const path = file('bad.yaml', text);
    const error = t.throws(() => loadPolicy(path), { instanceOf: PolicyError }, text);
    t.true(error?.message.startsWith(path), text);
    t.regex(error?.message ?? '', expected, text);
  }
});

test('YAML scalars: quoting, escapes and comments as YAML reads them', (t) => {
  const path = file('ok.yaml', [
    '\uFEFF"a": "role:x" # comment',
    "'b': 'it''s:fine'",
    'c: role:plain   # trailing comment',
    '"d" : "\\u0072ole:\\x79"',
    'e:\t"user_name:tab"',
    'f: role:a#not-a-comment',
    '',
    '...',
  ].join('\r\n'));
  const policy = loadPolicy(path);
  t.true(policy.enforce('a', { roles: ['x'] }));
  t.true(policy.enforce('b', { "it's": 'fine' }));
  t.true(policy.enforce('c', { roles: ['plain'] }));
  t.true(policy.enforce('d', { roles: ['y'] }));
  t.true(policy.enforce('e', { user_name: 'tab' }));
  t.true(policy.enforce('f', { roles: ['a#not-a-comment'] }));
});

test('JSON errors: not an object, a non-string value, bad syntax with its line', (t) => {
  t.throws(() => loadPolicy(file('p.json', '{"a": ["role:admin"]}')), { instanceOf: PolicyError, message: /rule "a": the old list syntax/ });
  t.throws(() => loadPolicy(file('p.json', '{"a": 1}')), { instanceOf: PolicyError, message: /rule "a": the value must be a check string/ });
  t.throws(() => loadPolicy(file('p.json', '{\n"a": "@"\n"b": "@"}')), { instanceOf: PolicyError, message: /is not valid JSON \(line 3\): Expected ','/ });
  const quoted = t.throws(() => loadPolicy(file('p.json', '{\n"a": "@",\n"b": }')), { instanceOf: PolicyError, message: /is not valid JSON: Unexpected token/ });
  t.false(quoted?.message.includes('"a"'), 'the file is not echoed in the message');
});

test('an unreadable policy file is an error, not the defaults', (t) => {
  t.throws(() => loadPolicy(dir), { instanceOf: PolicyError, message: /cannot be read/ });
});

test('loading logs which defaults the file overrides', (t) => {
  const { logger, lines } = capture();
  loadPolicy(file('p.yaml', '"join:create": "role:service"\n"mine": "@"\n'), logger);
  const loaded = lines.find((line) => line.includes('policy loaded'));
  t.truthy(loaded);
  t.deepEqual(JSON.parse(loaded!).overridden, ['join:create']);
});

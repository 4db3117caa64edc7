/**
 * config/join.conf.sample and config/policy.yaml.sample: committed files that
 * must equal a fresh render, and that must mean exactly the defaults when
 * every commented option is switched on.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPTIONS, PROJECT_OPTIONS } from '../src/config/defaults.js';
import { defaultConfig, loadConfigText } from '../src/config/load.js';
import { parseIni } from '../src/config/ini.js';
import { parseValue } from '../src/config/parse-value.js';
import { JOIN_CONF_SAMPLE, POLICY_DEFAULTS, POLICY_SAMPLE, generatedFiles } from '../scripts/gen-sample-config.js';
import { REPO } from '../scripts/generated.js';
import { runCommand } from './support/tmp.js';

const read = (path: string) => readFile(join(REPO, path), 'utf8');

test('the committed samples are what scripts/gen-sample-config.ts generates', async (t) => {
  for (const [path, content] of generatedFiles()) {
    t.is(await read(path), content, `${path} is stale: run npx tsx scripts/gen-sample-config.ts`);
  }
});

test('join.conf.sample as shipped (all commented) loads with no warnings and gives the defaults', async (t) => {
  const { config, warnings } = loadConfigText(await read(JOIN_CONF_SAMPLE), JOIN_CONF_SAMPLE);
  t.deepEqual(warnings, []);
  t.deepEqual({ ...config, file: null }, defaultConfig());
});

/** Switches on every `#name = value` line and the `#[<project name>]` header. */
function uncomment(text: string): string {
  return text.replace(/^#([A-Za-z_]+ = .*)$/gm, '$1').replace(/^#(\[[^\]]+\])$/gm, '$1');
}

test('join.conf.sample uncommented: every option present, each value equal to the table default', async (t) => {
  const text = uncomment(await read(JOIN_CONF_SAMPLE));
  const sections = parseIni(text);
  for (const spec of OPTIONS) {
    const raw = sections.get(spec.section)?.get(spec.name);
    if (!raw) {
      t.fail(`[${spec.section}] ${spec.name} is missing from the sample`);
      continue;
    }
    t.deepEqual(parseValue(spec, raw.value), { value: spec.default }, `[${spec.section}] ${spec.name}`);
  }
  const project = sections.get('<project name>');
  for (const spec of PROJECT_OPTIONS) {
    const raw = project?.get(spec.name);
    t.truthy(raw, `project option ${spec.name} is missing from the sample`);
    if (raw) t.deepEqual(parseValue(spec, raw.value), { value: spec.default }, `[<project>] ${spec.name}`);
  }
  // Nothing in the sample that the table does not have.
  const known = new Set(OPTIONS.map((s) => `${s.section} ${s.name}`));
  for (const [section, entries] of sections) {
    if (section === '<project name>') continue;
    for (const name of entries.keys()) t.true(known.has(`${section} ${name}`), `[${section}] ${name} is not in the table`);
  }
});

test('join.conf.sample uncommented loads to the default configuration; the only warnings are the compatibility options', async (t) => {
  const { config, warnings } = loadConfigText(uncomment(await read(JOIN_CONF_SAMPLE)), JOIN_CONF_SAMPLE);
  const ignored = OPTIONS.filter((s) => s.ignored);
  t.true(ignored.length > 0);
  t.is(warnings.length, ignored.length, warnings.join('\n'));
  for (const spec of ignored) t.true(warnings.some((w) => w.includes(`[${spec.section}] ${spec.name}:`)), spec.name);
  const { projects, ...rest } = { ...config, file: null };
  const { projects: noProjects, ...defaults } = defaultConfig();
  t.deepEqual(rest, defaults);
  t.is(noProjects.size, 0);
  t.deepEqual([...projects.entries()], [['<project name>', { allowedClasses: [], allowedServices: [], allowedServiceDomains: [] }]]);
});

test('policy.yaml.sample: commented it is empty YAML; uncommented it is exactly novajoin 1.1 default rules', async (t) => {
  const text = await read(POLICY_SAMPLE);
  const program = 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin.read()), sys.stdout)';
  // The system python3 has PyYAML (cloud-init depends on it).
  const asShipped = await runCommand('/usr/bin/python3', ['-c', program], { input: text });
  t.is(asShipped.stdout, 'null');
  const uncommented = await runCommand('/usr/bin/python3', ['-c', program], { input: text.replace(/^#(")/gm, '$1') });
  t.deepEqual(JSON.parse(uncommented.stdout), {
    context_is_admin: 'role:admin',
    service_project: 'project_name:service',
    compute_service_user: 'user_name:nova and rule:service_project',
    'join:create': 'rule:compute_service_user',
  });
  t.is(POLICY_DEFAULTS.length, 4);
});

/**
 * Operator-facing text says what it means: no design-document labels (B1,
 * B2, ...) in the README, the sample configuration, the option help the
 * sample and the puppet module are generated from, the puppet module, the
 * systemd files, or the commands' --help text.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIONS, PROJECT_OPTIONS } from '../src/config/defaults.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LABEL = /\b(?:B[1-9]|flow [1-9])\b/;

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? files(path) : [path];
  });
}

const documents = ['README.md', 'config/join.conf.sample', ...files('puppet'), ...files('systemd')];

for (const file of documents) {
  test(`${file} has no design labels`, (t) => {
    const hits = readFileSync(join(ROOT, file), 'utf8').split('\n').map((line, i) => [i + 1, line] as const).filter(([, line]) => LABEL.test(line));
    t.deepEqual(hits, []);
  });
}

test('option help has no design labels', (t) => {
  t.deepEqual([...OPTIONS, ...PROJECT_OPTIONS].filter((o) => LABEL.test(o.help)).map((o) => `[${o.section}] ${o.name}: ${o.help}`), []);
});

test("the commands' --help text has no design labels", (t) => {
  const usages = [...files('src/cli'), ...files('src/bin')].flatMap((file) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/const USAGE = `([\s\S]*?)`;/g)].map((m) => [file, m[1] ?? ''] as const),
  );
  t.true(usages.length >= 4);
  t.deepEqual(usages.filter(([, text]) => LABEL.test(text)).map(([file]) => file), []);
});

test('the label pattern finds a label (the checks above can fail)', (t) => {
  t.true(LABEL.test('Joins refused because the name is bound to another instance (B2).'));
  t.false(LABEL.test('Base64 B64 tables'));
});

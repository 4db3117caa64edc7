import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTIONS } from '../src/config/defaults.js';
import { ConfigError } from '../src/config/errors.js';
import { defaultConfig, loadConfigFile, loadConfigText, resolveConfigFile } from '../src/config/load.js';

test('defaults load with no warnings and keep novajoin 1.1 values', (t) => {
  const { config, warnings } = loadConfigText('', null);
  t.deepEqual(warnings, []);
  t.is(config.server.port, 9090);
  t.is(config.server.listen, '0.0.0.0');
  t.is(config.naming.domain, 'test');
  t.is(config.notifications.topics[0], 'novajoin_notifications');
  t.is(config.freeipa.keytab, '/etc/novajoin/krb5.keytab');
  t.true(Object.isFrozen(config.freeipa));
});

test('a novajoin 1.1 join.conf loads, compatibility options are warned about', (t) => {
  const text = [
    '[DEFAULT]',
    'join_listen_port = 9999',
    'api_paste_config = /etc/join/api-paste.ini',
    'debug = True',
    'auth_strategy=keystone',
    'keytab = /etc/join/krb5.keytab',
    'domain = Example.COM',
    'connect_retries = 1',
    '',
    '[keystone_authtoken]',
    'username = nova',
    'project_name = service',
    'auth_type = password',
    'auth_url = http://keystone:5000/v3',
    'password = secret',
    '',
    '[service_credentials]',
    'auth_url = http://keystone:5000/v3',
    'password = secret2',
    'tenant_name = service',
    '',
    '[admin]',
    'allowed_classes = web, db',
  ].join('\n');
  const { config, warnings } = loadConfigText(text, '/etc/novajoin/join.conf');
  t.is(config.server.port, 9999);
  t.true(config.log.debug);
  t.is(config.naming.domain, 'example.com');
  t.is(config.freeipa.realm, 'EXAMPLE.COM');
  t.is(config.freeipa.retries, 1);
  t.is(config.keystoneAuthtoken.password, 'secret');
  t.deepEqual(config.projects.get('admin')?.allowedClasses, ['web', 'db']);
  t.is(warnings.length, 2);
  t.regex(warnings.join('\n'), /api_paste_config/);
  t.regex(warnings.join('\n'), /tenant_name/);
});

test('unknown options are warned about, not taken', (t) => {
  const { warnings } = loadConfigText('[DEFAULT]\njoin_lisen_port = 1\n', 'f.conf');
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /f\.conf:2: \[DEFAULT\] join_lisen_port: unknown option/);
});

const bad: Array<[string, string, string, RegExp]> = [
  ['[DEFAULT]\njoin_listen_port = 70000\n', 'DEFAULT', 'join_listen_port', /above the maximum 65535/],
  ['[DEFAULT]\njoin_listen_port = nine\n', 'DEFAULT', 'join_listen_port', /not a whole number/],
  ['[DEFAULT]\nproject_subdomain = maybe\n', 'DEFAULT', 'project_subdomain', /not a boolean; accepted: true or false/],
  ['[DEFAULT]\nauth_strategy = ldap\n', 'DEFAULT', 'auth_strategy', /not one of: keystone, noauth/],
  ['[freeipa]\ntimeout = soon\n', 'freeipa', 'timeout', /not a number/],
  ['[freeipa]\nurl = ftp://x\n', 'freeipa', 'url', /not an http\(s\) URL/],
  ['[ldap]\nurl = http://x\n', 'ldap', 'url', /ldap:\/\/ or ldaps:\/\//],
  ['[DEFAULT]\ndomain = bad_domain!\n', 'DEFAULT', 'domain', /not a DNS domain name/],
  ['[DEFAULT]\nhostname_template = {name}.{domain}\n', 'DEFAULT', 'hostname_template', /must contain \{hostname\}/],
  ['[DEFAULT]\nhostname_template = {hostname}.{tenant}.{domain}\n', 'DEFAULT', 'hostname_template', /unknown field \{tenant\}/],
  ['[DEFAULT]\ntransport_url = redis://x\n', 'DEFAULT', 'transport_url', /rabbit:\/\//],
  ['[freeipa]\napi_version = 3.1\n', 'freeipa', 'api_version', /not a FreeIPA API version/],
  ['[notifications]\nprefetch = 0\n', 'notifications', 'prefetch', /below the minimum 1/],
];
for (const [text, section, option, message] of bad) {
  test(`bad value rejected with file, section and option: [${section}] ${option} (${message.source})`, (t) => {
    const error = t.throws(() => loadConfigText(text, '/etc/novajoin/join.conf'), { instanceOf: ConfigError });
    t.is(error?.file, '/etc/novajoin/join.conf');
    t.is(error?.section, section);
    t.is(error?.option, option);
    t.regex(error?.message ?? '', new RegExp(`^/etc/novajoin/join.conf: \\[${section}\\] ${option}: `));
    t.regex(error?.message ?? '', message);
  });
}

test('syntax errors name the line', (t) => {
  const error = t.throws(() => loadConfigText('[DEFAULT]\nthis is not an option\n', 'x.conf'), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /x\.conf: .*line 2/);
  t.throws(() => loadConfigText('orphan = 1\n', 'x.conf'), { message: /outside any \[section\]/ });
});

test('the configuration file comes from --config-file, then the environment, then /etc', (t) => {
  t.is(resolveConfigFile('/a.conf', { NOVAJOIN_CONFIG_FILE: '/b.conf' }), '/a.conf');
  t.is(resolveConfigFile(undefined, { NOVAJOIN_CONFIG_FILE: '/b.conf' }), '/b.conf');
  t.is(resolveConfigFile(undefined, {}), '/etc/novajoin/join.conf');
});

test('a missing file is an error naming it', (t) => {
  t.throws(() => loadConfigFile('/nonexistent/join.conf'), { instanceOf: ConfigError, message: /\/nonexistent\/join\.conf: .*cannot read the configuration file \(ENOENT\)/ });
});

test('every option of the table is reachable and typed as its default', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'novajoin-config-'));
  const file = join(dir, 'join.conf');
  const sections = new Map<string, string[]>();
  for (const spec of OPTIONS) {
    if (spec.ignored) continue;
    const value = Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
    sections.set(spec.section, [...(sections.get(spec.section) ?? []), `${spec.name} = ${value}`]);
  }
  writeFileSync(file, [...sections].map(([s, lines]) => `[${s}]\n${lines.join('\n')}\n`).join('\n'));
  const { config, warnings } = loadConfigFile(file);
  t.deepEqual(warnings, []);
  t.deepEqual({ ...config, file: null }, { ...defaultConfig(), file: null });
});

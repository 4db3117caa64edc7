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
  t.is(warnings[0], 'f.conf:2: warning: [DEFAULT] join_lisen_port: unknown option, ignored');
});

const bad: Array<[string, string, string, RegExp]> = [
  ['[DEFAULT]\njoin_listen_port = 70000\n', 'DEFAULT', 'join_listen_port', /above the maximum 65535/],
  ['[DEFAULT]\njoin_listen_port = nine\n', 'DEFAULT', 'join_listen_port', /not a whole number/],
  ['[DEFAULT]\nproject_subdomain = maybe\n', 'DEFAULT', 'project_subdomain', /not a boolean; accepted \(any case\): true, yes, on, 1 for true; false, no, off, 0 for false/],
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
    t.regex(error?.message ?? '', new RegExp(`^/etc/novajoin/join.conf:2: error: \\[${section}\\] ${option}: `));
    t.regex(error?.message ?? '', message);
  });
}

test('syntax errors name the line', (t) => {
  const error = t.throws(() => loadConfigText('[DEFAULT]\nthis is not an option\n', 'x.conf'), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /^x\.conf:2: error: expected "name = value"/);
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

test('every error of a file is reported at once, each with file, line, section and option', (t) => {
  const text = [
    '[DEFAULT]', //                       1
    'join_listen_port = nine', //         2
    'debug = sometimes', //               3
    'domain = example.com', //            4
    'domain = example.org', //            5
    'this line is not an option', //      6
    '[ldap]', //                          7
    'url = http://ldap', //               8
    '[freeipa]', //                       9
    'timeout = soon', //                 10
  ].join('\n');
  const error = t.throws(() => loadConfigText(text, '/etc/novajoin/join.conf'), { instanceOf: ConfigError });
  t.deepEqual(error?.message.split('\n'), [
    '/etc/novajoin/join.conf:2: error: [DEFAULT] join_listen_port: "nine" is not a whole number',
    '/etc/novajoin/join.conf:3: error: [DEFAULT] debug: "sometimes" is not a boolean; accepted (any case): true, yes, on, 1 for true; false, no, off, 0 for false',
    '/etc/novajoin/join.conf:5: error: [DEFAULT] domain: set again (first set on line 4); keep one',
    '/etc/novajoin/join.conf:6: error: expected "name = value" or "[section]", found "this line is not an option"',
    '/etc/novajoin/join.conf:8: error: [ldap] url: "http://ldap" must start with ldap:// or ldaps://',
    '/etc/novajoin/join.conf:10: error: [freeipa] timeout: "soon" is not a number',
  ]);
  t.is(error?.problems.length, 6);
});

test('a duplicate option in a project section is an error too', (t) => {
  const error = t.throws(() => loadConfigText('[demo]\nallowed_services = HTTP\nallowed_services = *\n', 'p.conf'), { instanceOf: ConfigError });
  t.is(error?.message, 'p.conf:3: error: [demo] allowed_services: set again (first set on line 2); keep one');
});

test('join_timeout above Nova\'s 5 s is warned about, in the same format as errors', (t) => {
  const { warnings } = loadConfigText('[DEFAULT]\njoin_timeout = 30\n', 'j.conf');
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /^j\.conf:2: warning: \[DEFAULT\] join_timeout: 30 s is longer than Nova waits by default \(5 s, nova\.conf \[api\] vendordata_dynamic_read_timeout\)/);
  t.deepEqual(loadConfigText('[DEFAULT]\njoin_timeout = 4.5\n', 'j.conf').warnings, []);
});

test('what a process checks at start (CA, keytab, OTP secret and its size, Keystone, LDAP bind) is reported with the file\'s own errors', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'novajoin-config-'));
  const shortSecret = join(dir, 'otp.key');
  writeFileSync(shortSecret, 'too-short\n', { mode: 0o644 });
  const notPem = join(dir, 'ca.crt');
  writeFileSync(notPem, 'hello\n');
  const text = [
    '[DEFAULT]',
    `keytab = ${join(dir, 'missing.keytab')}`,
    `otp_secret_file = ${shortSecret}`,
    'join_listen_port = 0',
    '[freeipa]',
    'server = ipa.example.test',
    `ca_file = ${notPem}`,
    '[ldap]',
    'auth = simple',
    'bind_dn = uid=novajoin,cn=sysaccounts,cn=etc,dc=example,dc=test',
  ].join('\n');
  const error = t.throws(() => loadConfigText(text, 'start.conf', ['freeipa', 'freeipa-login', 'otp-secret', 'keystone', 'ldap']), { instanceOf: ConfigError });
  const lines = error?.message.split('\n') ?? [];
  t.is(lines.length, 8, error?.message);
  t.regex(lines[0]!, /^start\.conf:2: error: \[DEFAULT\] keytab: .*missing\.keytab does not exist; `novajoin ipa-setup` fetches it$/);
  t.regex(lines[1]!, /^start\.conf:3: error: \[DEFAULT\] otp_secret_file: .* is readable or writable by others \(mode 644\)/);
  t.regex(lines[2]!, /^start\.conf:3: error: \[DEFAULT\] otp_secret_file: .* holds 9 bytes; at least 32 are needed/);
  t.regex(lines[3]!, /^start\.conf:4: error: \[DEFAULT\] join_listen_port: 0 is below the minimum 1$/);
  t.regex(lines[4]!, /^start\.conf:7: error: \[freeipa\] ca_file: .*ca\.crt holds no PEM certificate$/);
  t.regex(lines[5]!, /^start\.conf: error: \[keystone_authtoken\] auth_url: must be set .*every join would be refused/);
  t.regex(lines[6]!, /^start\.conf: error: \[keystone_authtoken\] password: must be set/);
  t.regex(lines[7]!, /^start\.conf: error: \[ldap\] bind_password_file: must be set: bind_dn .* needs it$/);
  // The same file with nothing needed: only its own value error.
  const own = t.throws(() => loadConfigText(text, 'start.conf'), { instanceOf: ConfigError });
  t.is(own?.problems.length, 1);
});

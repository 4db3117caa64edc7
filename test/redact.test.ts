import test from 'ava';
import { PassThrough } from 'node:stream';
import { createLogger } from '../src/log/logger.js';
import { REDACTED, redactText, redactValue } from '../src/log/redact.js';

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  return { stream, lines };
}

test('secret fields are removed from every record, however deep', async (t) => {
  const { stream, lines } = capture();
  const logger = createLogger({ stream, format: 'json' });
  logger.info('join answered', {
    answer: { hostname: 'vm1.example.test', krb_realm: 'EXAMPLE.TEST', ipaotp: 'f00dfeedcafe0123456789' },
    headers: { 'X-Auth-Token': 'gAAAAABtokenvalue1234567890', Authorization: 'Negotiate YIIBhwYGKwYBBQUCoIIB' },
    nested: [{ password: 'hunter2' }, { userpassword: 'otp-value-1' }],
  });
  await new Promise((r) => setImmediate(r));
  const text = lines.join('\n');
  for (const secret of ['f00dfeedcafe0123456789', 'gAAAAABtokenvalue1234567890', 'YIIBhwYGKwYBBQUCoIIB', 'hunter2', 'otp-value-1']) {
    t.false(text.includes(secret), `${secret} leaked`);
  }
  t.true(text.includes('vm1.example.test'));
  t.true(text.includes(REDACTED));
});

test('secrets inside messages and error texts are removed', async (t) => {
  const { stream, lines } = capture();
  const logger = createLogger({ stream, format: 'text' });
  logger.error('ipa-client-install -U --password=abc123secret failed', { error: new Error('login with password=pw-999 refused') });
  logger.warn('broker rabbit://nova:rabbitpass@mq:5672/ lost; cookie ipa_session=MagBearerToken=xyz123abc');
  await new Promise((r) => setImmediate(r));
  const text = lines.join('\n');
  for (const secret of ['abc123secret', 'pw-999', 'rabbitpass', 'MagBearerToken=xyz123abc']) t.false(text.includes(secret), `${secret} leaked`);
  t.true(text.includes('rabbit://nova:'));
});

test('redaction keeps what is not secret', (t) => {
  t.is(redactText('host vm1.example.test enrolled'), 'host vm1.example.test enrolled');
  t.deepEqual(redactValue({ fqdn: 'a.b', count: 3, ok: true, password: '' }), { fqdn: 'a.b', count: 3, ok: true, password: '' });
});

test('a record nested deeper than the redaction limit has the deep part replaced, not passed through', (t) => {
  let deep: Record<string, unknown> = { ipaotp: 'deep-otp-value-0042', note: 'x' };
  for (let i = 0; i < 20; i++) deep = { inner: deep };
  const out = JSON.stringify(redactValue({ record: deep }));
  t.false(out.includes('deep-otp-value-0042'));
  t.regex(out, /nested too deep/);
});

test('secret-like keys are matched by substring: FreeIPA randompassword, camelCase and prefixed names', (t) => {
  const out = redactValue({
    randompassword: 'Rnd0mPw-from-ipa',
    randomPassword: 'Rnd0mPw-camel',
    serviceToken: 'tok-abc-123',
    adminSecretValue: 's3cr3t-value',
    otp_value: 'otp-123-456',
    tokenHash: 'a1b2c3d4',
    passwordFile: '/etc/novajoin/pw',
    has_password: true,
  }) as Record<string, unknown>;
  for (const key of ['randompassword', 'randomPassword', 'serviceToken', 'adminSecretValue', 'otp_value']) t.is(out[key], REDACTED, key);
  t.is(out['tokenHash'], 'a1b2c3d4', 'a hash of a token is what logs use instead of it');
  t.is(out['passwordFile'], '/etc/novajoin/pw', 'a path names where a secret is, not the secret');
  t.is(out['has_password'], true);
});

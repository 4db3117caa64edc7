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

import test from 'ava';
import { Engine, MemoryStore, makeEnv, seedEntries } from '../src/ipa-emulator/index.js';

const env = makeEnv();

/** ipalib sends bytes, DNS names and datetimes as typed JSON objects (json_encode_binary). */
test('typed JSON values in a request are decoded as FreeIPA decodes them', async (t) => {
  const engine = new Engine({ env, store: new MemoryStore(seedEntries(env)) });
  const call = (method: string, args: unknown[], options: Record<string, unknown>) =>
    engine.handleJson(JSON.stringify({ method, params: [args, { version: '2.251', ...options }], id: 0 }), { principal: `admin@${env.realm}` });

  const added = await call('dnsrecord_add', [{ __dns_name__: `${env.domain}.` }, { __dns_name__: 'www' }], { arecord: ['192.0.2.5'] });
  t.is(added.error, null);
  const shown = await call('dnsrecord_show', [`${env.domain}.`, 'www'], {});
  t.deepEqual((shown.result as { result: { arecord: string[] } }).result.arecord, ['192.0.2.5']);

  const host = await call('host_add', [`vm.${env.domain}`], { force: true, description: { __base64__: Buffer.from('not a certificate').toString('base64') } });
  t.like(host.error, { code: 3008, name: 'ConversionError', message: "invalid 'description': must be Unicode text" });
  const cert = await call('host_add', [`vm.${env.domain}`], { force: true, usercertificate: [{ __base64__: Buffer.from('not a certificate').toString('base64') }] });
  t.like(cert.error, { code: 3008, message: "invalid 'certificate': not a valid certificate" });
});

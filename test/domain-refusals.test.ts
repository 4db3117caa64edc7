import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessDenied, AlreadyInactive, EntryConflict, EntryNotFound, InvalidValue, NothingToChange, ValueNotFound } from '../src/domain/errors.js';
import type { WriteOp } from '../src/domain/ports.js';
import { FreeIpaDirectory } from '../src/freeipa/directory.js';
import { Engine, MemoryStore, makeEnv, seedEntries, simulateEnrollment } from '../src/ipa-emulator/index.js';
import { InProcessRpc } from '../src/ipa-emulator/in-process-client.js';

test('src/domain imports nothing from the FreeIPA adapter', (t) => {
  const dir = join(import.meta.dirname, '..', 'src', 'domain');
  const offenders = readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .filter((name) => /from '\.\.\/freeipa\//.test(readFileSync(join(dir, name), 'utf8')));
  t.deepEqual(offenders, []);
});

function directory() {
  const env = makeEnv();
  const store = new MemoryStore(seedEntries(env));
  const engine = new Engine({ env, store });
  const dir = new FreeIpaDirectory({ client: new InProcessRpc(engine, `admin@${env.realm}`), realm: env.realm, zone: env.domain });
  return { env, store, dir };
}

async function refusal(dir: FreeIpaDirectory, op: WriteOp) {
  const [result] = await dir.write([op], Date.now() + 10_000);
  if (!result || result.ok) throw new Error(`${op.op} was not refused`);
  return result.error;
}

test("FreeIPA's refusals reach the domain in its own words, with FreeIPA's name kept for operators", async (t) => {
  const { env, store, dir } = directory();
  const fqdn = `vm1.${env.domain}`;
  const add: WriteOp = { op: 'addHost', fqdn, otp: 'Secret123', description: 'x' };
  t.deepEqual(await dir.write([add], Date.now() + 10_000), [{ ok: true }]);

  const conflict = await refusal(dir, add);
  t.true(conflict instanceof EntryConflict);
  t.is(conflict.directoryName, 'DuplicateEntry');
  t.is(conflict.message, `host with name "${fqdn}" already exists`);

  t.true((await refusal(dir, { op: 'deleteHost', fqdn: `gone.${env.domain}`, updateDns: false })) instanceof EntryNotFound);
  t.true((await refusal(dir, { op: 'deleteARecord', fqdn, address: '192.0.2.9' })) instanceof EntryNotFound);
  t.true((await refusal(dir, { op: 'disableHost', fqdn })) instanceof AlreadyInactive);

  await dir.write([{ op: 'addARecord', fqdn, address: '192.0.2.1' }], Date.now() + 10_000);
  t.true((await refusal(dir, { op: 'addARecord', fqdn, address: '192.0.2.1' })) instanceof NothingToChange);
  t.true((await refusal(dir, { op: 'deleteARecord', fqdn, address: '192.0.2.2' })) instanceof ValueNotFound);

  await simulateEnrollment(store, env, fqdn, 'Secret123');
  const enrolled = await refusal(dir, { op: 'setOtp', fqdn, otp: 'Other1234', description: 'x' });
  t.true(enrolled instanceof InvalidValue);
  t.is(enrolled.field, 'password');
});

test('a refusal for lack of rights is AccessDenied', async (t) => {
  const env = makeEnv();
  const engine = new Engine({ env, store: new MemoryStore(seedEntries(env)), writers: [] });
  const dir = new FreeIpaDirectory({ client: new InProcessRpc(engine, `nobody@${env.realm}`), realm: env.realm, zone: env.domain });
  const error = await refusal(dir, { op: 'addHost', fqdn: `vm2.${env.domain}`, otp: null, description: 'x' });
  t.true(error instanceof AccessDenied);
  t.is(error.directoryName, 'ACIError');
});

/**
 * FreeIPA without a CA (ca_enabled false): hosts may still carry
 * certificates from elsewhere. A Nova delete through RabbitMQ removes the
 * host all the same, and nothing is revoked (there is nothing to revoke with).
 */
import test from 'ava';
import { certifiedNode, startCertificateWorld, until, type CertificateWorld } from './support/certificate-nodes.js';

let world: CertificateWorld;

test.before(async () => {
  world = await startCertificateWorld(false);
});
test.after.always(async () => world?.stop());

test('without a CA a delete notification removes a host holding certificates and revokes nothing', async (t) => {
  const emulator = world.env.ipa.emulator;
  t.is(emulator.ca, null);
  const node = await certifiedNode(world, 'plain-node');
  emulator.resetCounters();
  world.publish('delete', node.instanceId, 'plain-node');
  await until('the host to go', () => emulator.getHost(node.fqdn), (h) => h === null);
  t.is(await emulator.getService(node.service), null);
  t.is(emulator.counters().commands['cert_revoke'], undefined);
  const show = await emulator.rpc('cert_show', [node.hostCert.serial], { version: '2.230' });
  t.like(show.error, { code: 4001, message: 'CA is not configured' });
});

/**
 * TLS everywhere: enrolled nodes hold IPA certificates for their host and
 * services. A Nova delete through RabbitMQ removes the node and FreeIPA
 * revokes its certificates; a rebuild disables it, revoking them too, and
 * the next join still hands out a new OTP.
 */
import test from 'ava';
import { certifiedNode, join, revocation, startCertificateWorld, until, type CertificateWorld } from './support/certificate-nodes.js';

let world: CertificateWorld;

test.before(async () => {
  world = await startCertificateWorld(true);
});
test.after.always(async () => world?.stop());

test.serial('a delete notification removes a host holding certificates, and its certificates are revoked', async (t) => {
  const node = await certifiedNode(world, 'tls-node');
  t.false((await revocation(world, node.hostCert.serial)).revoked);
  world.publish('delete', node.instanceId, 'tls-node');
  await until('the host to go', () => world.env.ipa.emulator.getHost(node.fqdn), (h) => h === null);
  t.is(await world.env.ipa.emulator.getService(node.service), null);
  t.deepEqual(await revocation(world, node.hostCert.serial), { revoked: true, reason: 4 });
  t.deepEqual(await revocation(world, node.serviceCert.serial), { revoked: true, reason: 4 });
});

test.serial('a rebuild notification disables a host holding certificates: its keys and certificate gone, the certificate revoked', async (t) => {
  const node = await certifiedNode(world, 'tls-rebuilt');
  world.publish('rebuild', node.instanceId, 'tls-rebuilt');
  const host = await until('the host to lose its keys', () => world.env.ipa.emulator.getHost(node.fqdn), (h) => h !== null && !h.attrs['krbprincipalkey']?.length);
  t.is(host?.attrs['usercertificate'], undefined);
  t.deepEqual(await revocation(world, node.hostCert.serial), { revoked: true, reason: 4 });
  // host_disable reaches the host's own */fqdn services only; the compact service lives on its subhost.
  t.deepEqual(await revocation(world, node.serviceCert.serial), { revoked: false, reason: undefined });
  const again = await join(world, node.instanceId, 'tls-rebuilt', { ipa_enroll: 'True', compact_service_HTTP: '["ctlplane"]' });
  t.is(again.status, 200);
  t.regex(again.body['ipaotp'] ?? '', /^[0-9a-f]{40}$/);
  t.not(again.body['ipaotp'], node.otp);
});

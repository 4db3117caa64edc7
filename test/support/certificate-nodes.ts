/**
 * End-to-end setting for certificates held by enrolled nodes: novajoin's
 * join service and notification listener against the test FreeIPA (with or
 * without its CA), a node enrolled through a real join, and the
 * certificates certmonger would have obtained for it afterwards (its host
 * certificate and one for its HTTP service), stored as FreeIPA stores them.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel } from 'amqplib';
import type { RunningNotify } from '../../src/notify/start.js';
import type { RunningServer } from '../../src/server/start.js';
import { issueCertificate, type IssuedCertificate } from './certs.js';
import { startNovajoinEnv, type NovajoinEnv } from './novajoin-env.js';
import { loadFixtures, openBroker, osloBody, QUICK_LISTENER } from './notify.js';
export { until } from './until.js';

export const PROJECT = 'c97027dd880d4c129ae7a4ba7edade05';
const V = { version: '2.230' };

export interface CertificateWorld {
  readonly env: NovajoinEnv;
  readonly server: RunningServer;
  readonly notify: RunningNotify;
  readonly broker: { model: ChannelModel; channel: Channel };
  /** Publishes the Nova notification `kind` (versioned fixture) for `instanceId` / `hostname`. */
  publish(kind: 'delete' | 'rebuild', instanceId: string, hostname: string): void;
  stop(): Promise<void>;
}

export async function startCertificateWorld(ca: boolean): Promise<CertificateWorld> {
  const id = randomUUID();
  const exchange = `certs-nova-${id}`;
  const queue = `certs-novajoin-${id}`;
  const env = await startNovajoinEnv({ ca });
  const config = await env.config(
    [
      '[notifications]',
      `retry_queue_prefix = ${queue}`,
      `dead_letter_queue = ${queue}.dead`,
      `exchanges = ${exchange}`,
      `topics = ${queue}`,
      ...QUICK_LISTENER,
      `[${PROJECT}]`,
      'allowed_services = *',
    ].join('\n'),
    // join_cache_ttl = 0: a node here is rebuilt seconds after its first join, which no real node is;
    // what an answer from memory does after a rebuild is join-calls.test.ts's.
    { set: { 'DEFAULT.join_cache_ttl': '0' } },
  );
  const server = await env.startServer(config);
  const notify = await env.startNotify(config);
  const broker = await openBroker();
  const fixtures = loadFixtures();
  return {
    env,
    server,
    notify,
    broker,
    publish(kind, instanceId, hostname) {
      const fixture = fixtures.find((f) => f.file.startsWith(`${kind}--versioned`));
      if (!fixture) throw new Error(`no ${kind} fixture`);
      const message = structuredClone(fixture.message) as Record<string, any>;
      message['_unique_id'] = randomUUID().replace(/-/g, '');
      const data = message['payload']['nova_object.data'];
      data['uuid'] = instanceId;
      data['host_name'] = hostname;
      broker.channel.publish(exchange, `${queue}.info`, osloBody(message), { contentType: 'application/json' });
    },
    async stop() {
      for (const q of [`${queue}.info`, `${queue}.error`]) await broker.channel.deleteQueue(q).catch(() => undefined);
      await broker.channel.deleteQueue(`${queue}.dead`).catch(() => undefined);
      await broker.channel.deleteExchange(exchange).catch(() => undefined);
      await broker.model.close().catch(() => undefined);
      await env.stop();
    },
  };
}

export interface CertifiedNode {
  readonly instanceId: string;
  readonly fqdn: string;
  /** The compact service's principal (HTTP on the ctlplane subhost). */
  readonly service: string;
  readonly hostCert: IssuedCertificate;
  readonly serviceCert: IssuedCertificate;
  readonly otp: string;
}

/** The vendordata call Nova makes for a booting instance. */
export async function join(world: CertificateWorld, instanceId: string, name: string, metadata: Record<string, string>) {
  const res = await fetch(`${world.server.url}/v1/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Token': world.env.novaToken() },
    body: JSON.stringify({ 'project-id': PROJECT, 'instance-id': instanceId, 'image-id': '', hostname: name, metadata }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** A join as Nova makes it, the guest's enrollment, then certificates for the host and its HTTP service. */
export async function certifiedNode(world: CertificateWorld, name: string): Promise<CertifiedNode> {
  const { env } = world;
  const instanceId = randomUUID();
  const { status, body } = await join(world, instanceId, name, { ipa_enroll: 'True', compact_service_HTTP: '["ctlplane"]' });
  if (status !== 200 || !body['ipaotp']) throw new Error(`join failed: ${status} ${JSON.stringify(body)}`);
  const fqdn = `${name}.${env.ipa.domain}`;
  const service = `HTTP/${name}.ctlplane.${env.ipa.domain}@${env.ipa.realm}`;
  await env.ipa.emulator.simulateEnrollment(fqdn, body['ipaotp']);
  const issuer = { caFile: env.ipa.caFile, caKeyFile: env.ipa.caKeyFile };
  const hostCert = await issueCertificate(issuer, fqdn, env.ipa.realm);
  const serviceCert = await issueCertificate(issuer, `${name}.ctlplane.${env.ipa.domain}`, env.ipa.realm);
  for (const [method, key, cert] of [['host_add_cert', fqdn, hostCert], ['service_add_cert', service, serviceCert]] as const) {
    const reply = await env.ipa.emulator.rpc(method, [key], { ...V, usercertificate: [{ __base64__: cert.base64 }] });
    if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
  }
  return { instanceId, fqdn, service, hostCert, serviceCert, otp: body['ipaotp'] };
}

/** cert_show as an administrator would run it: revoked and why. */
export async function revocation(world: CertificateWorld, serial: number): Promise<{ revoked: boolean; reason: number | undefined }> {
  const reply = await world.env.ipa.emulator.rpc('cert_show', [serial], V);
  if (reply.error) throw new Error(`cert_show ${serial}: ${reply.error.message}`);
  const result = (reply.result as { result: { revoked: boolean; revocation_reason?: number } }).result;
  return { revoked: result.revoked, reason: result.revocation_reason };
}

/**
 * `novajoin dev`: the server with an embedded FreeIPA-compatible directory
 * (the emulator, in memory, in process) and Keystone checking off — like
 * `vault server -dev`. Loud that it is not for production, and it refuses to
 * listen on anything but loopback unless told.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfigText } from '../config/load.js';
import { OtpMinter } from '../domain/otp.js';
import { FreeIpaDirectory } from '../freeipa/directory.js';
import { Engine } from '../ipa-emulator/engine.js';
import { InProcessRpc } from '../ipa-emulator/in-process-client.js';
import { makeEnv, seedEntries } from '../ipa-emulator/layout.js';
import { MemoryStore } from '../ipa-emulator/memory-store.js';
import { createLogger } from '../log/logger.js';
import { startServer } from '../server/start.js';
import { untilSignal } from './common.js';

const USAGE = `Usage: novajoin dev [--port 9090] [--listen 127.0.0.1] [--domain example.test] [--allow-remote]

Runs novajoin-server with an in-memory FreeIPA emulator and no Keystone.
NOT FOR PRODUCTION: anyone who can reach it can enroll hosts.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '9090' },
      listen: { type: 'string', default: '127.0.0.1' },
      domain: { type: 'string', default: 'example.test' },
      'allow-remote': { type: 'boolean', default: false },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const loopback = values.listen === 'localhost' || values.listen === '::1' || values.listen.startsWith('127.');
  if (!loopback && !values['allow-remote']) {
    process.stderr.write(`novajoin dev refuses to listen on ${values.listen}: it has no authentication. Add --allow-remote if you really mean it.\n`);
    return 2;
  }
  const { config } = loadConfigText(
    [
      '[DEFAULT]',
      'auth_strategy = noauth',
      `join_listen = ${loopback ? values.listen : '127.0.0.1'}`,
      `join_listen_port = ${values.port}`,
      `domain = ${values.domain}`,
      'log_format = text',
      '[freeipa]',
      `server = ipa.${values.domain}`,
    ].join('\n'),
    '<novajoin dev>',
  );
  const logger = createLogger({ format: 'text', service: 'novajoin-dev' });
  const env = makeEnv({ domain: config.naming.domain, realm: config.freeipa.realm });
  const engine = new Engine({ env, store: new MemoryStore(seedEntries(env)) });
  const directory = new FreeIpaDirectory({ client: new InProcessRpc(engine, `nova/novajoin.${env.domain}@${env.realm}`), realm: env.realm, zone: env.domain });
  const server = await startServer(loopback ? config : { ...config, server: { ...config.server, listen: values.listen } }, logger, {
    directory,
    otp: OtpMinter.ephemeral(),
    tokens: null,
    authorize: () => undefined,
    images: { imageProperties: async () => null },
    projects: { projectName: async () => null },
    readiness: [{ name: 'freeipa (embedded)', check: () => directory.ping(Date.now() + 1000) }],
  });
  const body = JSON.stringify({
    'project-id': 'demo',
    'instance-id': randomUUID(),
    'image-id': '',
    hostname: 'vm1',
    metadata: { ipa_enroll: 'true' },
  });
  process.stdout.write(
    [
      '',
      '  novajoin dev — NOT FOR PRODUCTION: embedded in-memory FreeIPA, no Keystone, no authentication.',
      '',
      `  Vendordata target: ${server.url}/v1/   (nova.conf: vendordata_dynamic_targets = join@${server.url}/v1/)`,
      `  Health: ${server.url}/healthz   Readiness: ${server.url}/readyz   Metrics: ${server.url}/metrics`,
      '',
      '  Enroll a host as Nova would (the answer is the join payload the guest reads from vendor_data2.json):',
      '',
      `  curl -s -X POST ${server.url}/v1/ -H 'Content-Type: application/json' \\`,
      `       -d '${body}'`,
      '',
      '  Ask again with the same instance-id: the same OTP comes back and FreeIPA is not written to.',
      '  Ctrl-C stops it; everything is forgotten.',
      '',
    ].join('\n'),
  );
  await untilSignal();
  await server.close();
  return 0;
}

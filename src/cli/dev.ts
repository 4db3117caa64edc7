/**
 * `novajoin dev`: the server with an embedded FreeIPA-compatible directory
 * (the emulator, in memory, in process) and Keystone checking off — like
 * `vault server -dev`. Loud that it is not for production, and it refuses to
 * listen on anything but loopback unless told.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
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
import { EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE } from './exit.js';
import { logOverrides } from './options.js';

const USAGE = `Usage: novajoin dev [--port 9090] [--listen 127.0.0.1] [--domain example.test] [--allow-remote]
                    [--log-format FMT] [--debug]

Runs novajoin-server with an in-memory FreeIPA emulator and no Keystone.
NOT FOR PRODUCTION: anyone who can reach it can enroll hosts.

  --port PORT        port to listen on (default 9090)
  --listen ADDRESS   address to listen on (default 127.0.0.1; others need --allow-remote)
  --domain DOMAIN    DNS domain of the enrolled hosts (default example.test)
  --allow-remote     listen on a non-loopback address
  --log-format FMT   json, text or auto (default text)
  --debug            log at debug level
  -h, --help         this text

${EXIT_STATUS_HELP}`;

/** The join.conf option each flag stands for, so that an error names the flag the user typed. */
const FLAG_OF: Record<string, string> = { join_listen_port: '--port', join_listen: '--listen', domain: '--domain' };

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '9090' },
        listen: { type: 'string', default: '127.0.0.1' },
        domain: { type: 'string', default: 'example.test' },
        'allow-remote': { type: 'boolean', default: false },
        'log-format': { type: 'string' },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
    logOverrides(values);
  } catch (error) {
    process.stderr.write(`novajoin dev: ${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  const loopback = values.listen === 'localhost' || values.listen === '::1' || values.listen.startsWith('127.');
  if (!loopback && !values['allow-remote']) {
    process.stderr.write(`novajoin dev refuses to listen on ${values.listen}: it has no authentication. Add --allow-remote if you really mean it.\n`);
    return 2;
  }
  let config;
  try {
    ({ config } = loadConfigText(
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
    ));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const p of error.problems) process.stderr.write(`novajoin dev: ${p.option && FLAG_OF[p.option] ? FLAG_OF[p.option] : `[${p.section}] ${p.option ?? ''}`}: ${p.detail}\n`);
    return EXIT_USAGE;
  }
  const log = logOverrides(values);
  const logger = createLogger({ format: log.format ?? 'text', debug: log.debug ?? false, service: 'novajoin-dev' });
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
    portSetting: '--port',
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

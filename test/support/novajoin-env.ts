/**
 * A whole deployment for the service's integration tests: the FreeIPA stack
 * (real KDC, slapd, emulator over HTTPS), the OpenStack test servers, a
 * join.conf written to disk and loaded by the real loader, and helpers that
 * start novajoin-server and novajoin-notify on it, as production does, but
 * with the test servers' name resolution.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { clientFromConfig } from '../../src/freeipa/client.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { startNotify, type NotifyOverrides, type RunningNotify } from '../../src/notify/start.js';
import { startServer, type RunningServer, type ServerOverrides } from '../../src/server/start.js';
import { startIpaStack, type IpaStack, type IpaStackOptions } from './ipa-stack.js';
import { startOpenStack } from './openstack-servers.js';
import { freePort, makeTempDir, removeDir } from './tmp.js';

export type OpenStackServers = Awaited<ReturnType<typeof startOpenStack>>;

export interface NovajoinEnv {
  readonly ipa: IpaStack;
  readonly openstack: OpenStackServers;
  readonly dir: string;
  /** Writes a join.conf (base options plus `extra` INI text) and loads it. */
  config(extra?: string, overrides?: { port?: number; otpSecretFile?: string }): Promise<Config>;
  startServer(config: Config, overrides?: ServerOverrides, logger?: Logger): Promise<RunningServer>;
  startNotify(config: Config, overrides?: NotifyOverrides, logger?: Logger): Promise<RunningNotify>;
  /** A token Nova's vendordata client would send (user nova, project service). */
  novaToken(): string;
  stop(): Promise<void>;
}

export async function startNovajoinEnv(options: IpaStackOptions = {}): Promise<NovajoinEnv> {
  const ipa = await startIpaStack(options);
  const openstack = await startOpenStack();
  const dir = await makeTempDir('novajoin-env');
  const secretFile = join(dir, 'otp.key');
  await writeFile(secretFile, randomBytes(48).toString('base64'), { mode: 0o400 });
  let configs = 0;
  const closers: Array<() => Promise<void>> = [];

  return {
    ipa,
    openstack,
    dir,
    async config(extra = '', overrides = {}) {
      const file = join(dir, `join-${++configs}.conf`);
      const port = overrides.port ?? (await freePort());
      const text = [
        '[DEFAULT]',
        'join_listen = 127.0.0.1',
        `join_listen_port = ${port}`,
        `domain = ${ipa.domain}`,
        `keytab = ${ipa.clientKeytab}`,
        `otp_secret_file = ${overrides.otpSecretFile ?? secretFile}`,
        'policy_file = ',
        'transport_url = rabbit://guest:guest@127.0.0.1:5672/',
        '[freeipa]',
        `server = ${ipa.serverName}`,
        `url = ${ipa.url}`,
        `ca_file = ${ipa.caFile}`,
        'auth = kerberos',
        `principal = ${ipa.clientPrincipal}`,
        'timeout = 5',
        '[keystone_authtoken]',
        `auth_url = ${openstack.keystoneUrl}`,
        'username = novajoin',
        'password = novajoin-secret',
        'project_name = service',
        '[service_credentials]',
        `auth_url = ${openstack.keystoneUrl}`,
        'username = novajoin',
        'password = novajoin-secret',
        'project_name = service',
        `region_name = ${openstack.region}`,
        extra,
      ].join('\n');
      await writeFile(file, text, { mode: 0o600 });
      const { config, warnings } = loadConfigFile(file);
      if (warnings.length) throw new Error(`test configuration has warnings: ${warnings.join('; ')}`);
      return config;
    },
    async startServer(config, overrides = {}, logger = silentLogger()) {
      const server = await startServer(config, logger, {
        freeipa: clientFromConfig(config, logger, { lookup: ipa.lookup }),
        ...overrides,
      });
      closers.push(() => server.close());
      return server;
    },
    async startNotify(config, overrides = {}, logger = silentLogger()) {
      const notify = await startNotify(config, logger, {
        freeipa: clientFromConfig(config, logger, { lookup: ipa.lookup }),
        metricsPort: 0,
        ...overrides,
      });
      closers.push(() => notify.close());
      return notify;
    },
    novaToken() {
      return openstack.issueToken('nova', 'service').token;
    },
    async stop() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      await openstack.stop();
      await ipa.stop();
      await removeDir(dir);
    },
  };
}

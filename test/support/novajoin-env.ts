/**
 * A whole deployment for the service's integration tests: the FreeIPA stack
 * (real KDC, dirsrv, emulator over HTTPS), the OpenStack test servers, a
 * join.conf written to disk and loaded by the real loader, and helpers that
 * start novajoin-server and novajoin-notify on it, as production does, but
 * with the test servers' name resolution.
 */
import { loadConfigFile } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { clientFromConfig } from '../../src/freeipa/client.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { startNotify, type NotifyOverrides, type RunningNotify } from '../../src/notify/start.js';
import { startServer, type RunningServer, type ServerOverrides } from '../../src/server/start.js';
import { startIpaStack, type IpaStack, type IpaStackOptions } from './ipa-stack.js';
import { writeStackConfig } from './novajoin-cli.js';
import { startOpenStack } from './openstack-servers.js';
import { freePort, makeTempDir, removeDir } from './tmp.js';

export type OpenStackServers = Awaited<ReturnType<typeof startOpenStack>>;

export interface NovajoinEnv {
  readonly ipa: IpaStack;
  readonly openstack: OpenStackServers;
  readonly dir: string;
  /** Writes a join.conf (base options plus `extra` INI text) and loads it. */
  config(extra?: string, overrides?: { port?: number; otpSecretFile?: string; set?: Record<string, string>; expectWarnings?: RegExp }): Promise<Config>;
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
  let configs = 0;
  const closers: Array<() => Promise<void>> = [];

  return {
    ipa,
    openstack,
    dir,
    async config(extra = '', overrides = {}) {
      const port = overrides.port ?? (await freePort());
      const file = await writeStackConfig({
        dir,
        stack: ipa,
        openstack,
        file: `join-${++configs}.conf`,
        set: {
          'DEFAULT.join_listen': '127.0.0.1',
          'DEFAULT.join_listen_port': String(port),
          'DEFAULT.policy_file': '',
          ...(overrides.otpSecretFile ? { 'DEFAULT.otp_secret_file': overrides.otpSecretFile } : {}),
          'freeipa.timeout': '5',
          'keystone_authtoken.auth_url': openstack.keystoneUrl,
          'keystone_authtoken.username': 'novajoin',
          'keystone_authtoken.password': 'novajoin-secret',
          'keystone_authtoken.project_name': 'service',
          ...overrides.set,
        },
        raw: extra,
      });
      const { config, warnings } = loadConfigFile(file);
      // A test may ask for a setting the loader warns about, and say so; any other warning is a mistake in the test.
      const unexpected = warnings.filter((w) => !overrides.expectWarnings?.test(w));
      if (unexpected.length) throw new Error(`test configuration has warnings: ${unexpected.join('; ')}`);
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

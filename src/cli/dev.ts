/**
 * `novajoin dev`: the whole product on one machine, like `vault server -dev`.
 * novajoin-server and novajoin-notify run as in production, over HTTPS to an
 * embedded FreeIPA-compatible server (in memory, password login, its own CA)
 * and against the machine's RabbitMQ when one answers; only Keystone checking
 * is off. With --kerberos a real KDC runs beside it (src/dev/kerberos.ts) so
 * FreeIPA's own CLI can be pointed at it too. It writes the join.conf it runs on, so `novajoin check` and
 * `novajoin-notify` can be pointed at the same FreeIPA. Loud that it is not
 * for production, and it refuses to listen on anything but loopback unless
 * told.
 */
import { consumedQueues } from '../notify/topology.js';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseIni } from '../config/ini.js';
import { ConfigError, formatProblem } from '../config/errors.js';
import { loadConfigText } from '../config/load.js';
import { devBanner } from '../dev/banner.js';
import { devConfText } from '../dev/conf.js';
import { brokerAnswers } from '../dev/broker.js';
import { startDevKerberos, type DevKerberos } from '../dev/kerberos.js';
import { kdcPrograms } from '../dev/kdc-programs.js';
import { devTls } from '../dev/tls.js';
import { prepareDevFreeIpa, startDevOpenStack } from '../dev/openstack.js';
import { passwordTableAuthenticators } from '../ipa-emulator/dev-auth.js';
import type { Authenticators } from '../ipa-emulator/http.js';
import { makeEnv } from '../ipa-emulator/layout.js';
import { startIpaEmulator } from '../ipa-emulator/server.js';
import { createLogger } from '../log/logger.js';
import { startNotify, type RunningNotify } from '../notify/start.js';
import { startServer } from '../server/start.js';
import { commandArgs, untilSignal } from './common.js';
import { UsageError } from './exit.js';
import { logOverrides } from './options.js';

const USAGE = `Usage: novajoin dev [--config-file FILE] [--port 9090] [--listen 127.0.0.1] [--domain example.test]
                    [--ipa-port 0] [--ipa-name localhost] [--kerberos] [--dir DIR] [--no-notify] [--allow-remote]

Runs novajoin-server and novajoin-notify against an embedded, in-memory
FreeIPA-compatible server over HTTPS on loopback, with Keystone checking off.
NOT FOR PRODUCTION: anyone who can reach it can enroll hosts.

  --config-file  a join.conf to try: its per-project sections (allowed_services,
                 allowed_classes), naming templates and DNS options are used;
                 dev sets what points at the embedded FreeIPA
  --port         port of the vendordata endpoint (default 9090)
  --listen       address it listens on (default 127.0.0.1)
  --domain       DNS domain when the config file sets none (default example.test)
  --ipa-port     port of the embedded FreeIPA (default: a free one)
  --ipa-name     host name of the embedded FreeIPA: its certificate, its Kerberos
                 service principal HTTP/<name> (default localhost)
  --kerberos     also run a real MIT Kerberos KDC (Debian packages krb5-kdc and
                 krb5-admin-server) for the realm <DOMAIN>, holding admin (dev's
                 admin password) and HTTP/<ipa-name>; the embedded FreeIPA then
                 accepts Kerberos logins too, and dev writes the krb5.conf and the
                 ipalib configuration (DIR/ipa) FreeIPA's own CLI needs. That CLI
                 only connects to port 443 of a dotted name: run
                   novajoin dev --kerberos --ipa-name ipa.<domain> --ipa-port 443
                 (port 443 needs root or net.ipv4.ip_unprivileged_port_start) with
                 "127.0.0.1 ipa.<domain>" in /etc/hosts
  --dir          where the join.conf, CA, secrets (and with --kerberos the KDC) are written
                 (default $TMPDIR/novajoin-dev-<uid>)
  --no-notify    do not start the notification listener
  --allow-remote listen on a non-loopback address (no authentication!)
  --log-format   json, text or auto (default text)
  --debug        log at debug level
  -h, --help     this text

Exit status: 0 after Ctrl-C; 1 when a part fails to start (a port in use names the flag);
2 usage or configuration error, nothing started.
`;

/** The join.conf options dev sets from its flags: an error in one names the flag the user typed. */
const FLAG_OF: Readonly<Record<string, string>> = { join_listen_port: '--port', join_listen: '--listen', domain: '--domain' };

/** Runs a load; its ConfigError becomes a usage error that names dev's flags where a flag set the option. */
function flagged<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const lines = error.problems.map((p) => (p.section === 'DEFAULT' && p.option && FLAG_OF[p.option] ? `${FLAG_OF[p.option]}: ${p.detail}` : formatProblem(p)));
    throw new UsageError(lines.join('\n'));
  }
}

function portFlag(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag}: "${text}" is not a port number`);
  const port = Number(text);
  if (port < min) throw new UsageError(`${flag}: ${port} is below the minimum ${min}`);
  if (port > 65535) throw new UsageError(`${flag}: ${port} is above the maximum 65535`);
  return port;
}

/** How to use FreeIPA's own CLI against the embedded FreeIPA, and what is missing when it cannot work yet. */
function ipalibLines(k: DevKerberos, p: { ipaName: string; ipaPort: number; passwordFile: string }): string[] {
  const lines = [
    `  Kerberos: KDC for ${k.kdc.realm} on 127.0.0.1:${k.kdc.port}; FreeIPA's own CLI with it (kinit admin asks for the password that is in ${p.passwordFile}):`,
    `    export KRB5_CONFIG=${k.krb5Conf} KRB5CCNAME=${k.ccache} IPA_CONFDIR=${k.ipaConfDir}`,
    '    kinit admin',
    '    python3 -m ipaclient host-find',
  ];
  if (p.ipaPort !== 443 || !p.ipaName.includes('.')) {
    lines.push(`    (ipalib only connects to port 443 of a dotted name: start dev with --ipa-name ipa.<domain> --ipa-port 443 and map that name to 127.0.0.1 in /etc/hosts)`);
  }
  return lines;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = commandArgs('novajoin dev', argv, {
    port: { type: 'string', default: '9090' },
    listen: { type: 'string', default: '127.0.0.1' },
    domain: { type: 'string', default: 'example.test' },
    'ipa-port': { type: 'string', default: '0' },
    'ipa-name': { type: 'string', default: 'localhost' },
    kerberos: { type: 'boolean', default: false },
    dir: { type: 'string' },
    'no-notify': { type: 'boolean', default: false },
    'allow-remote': { type: 'boolean', default: false },
  }, USAGE);
  if (parsed.exit !== undefined) return parsed.exit;
  const { values } = parsed;
  const loopback = values.listen === 'localhost' || values.listen === '::1' || values.listen.startsWith('127.');
  if (!loopback && !values['allow-remote']) {
    process.stderr.write(`novajoin dev refuses to listen on ${values.listen}: it has no authentication. Add --allow-remote if you really mean it.\n`);
    return 2;
  }
  const port = portFlag('--port', values.port, 1);
  const ipaPort = portFlag('--ipa-port', values['ipa-port'], 0);
  const ipaName = values['ipa-name'].toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(ipaName)) throw new UsageError(`--ipa-name: "${values['ipa-name']}" is not a host name`);
  // Before anything is written or started: a missing KDC is told by its Debian packages.
  if (values.kerberos) kdcPrograms();
  const configFile = typeof values['config-file'] === 'string' ? values['config-file'] : undefined;
  const userText = configFile ? readFileSync(configFile, 'utf8') : '';
  // The operator's own file first, so its every problem is told with its own lines.
  if (configFile) loadConfigText(userText, configFile);
  const domain = parseIni(userText).get('DEFAULT')?.get('domain')?.value || values.domain;
  // Then the flags, before anything starts, in the flags' own names.
  flagged(() => loadConfigText(`[DEFAULT]\njoin_listen = ${values.listen}\ndomain = ${domain}\n`, '<novajoin dev>'));
  const dir = resolve(values.dir ?? join(tmpdir(), `novajoin-dev-${process.getuid?.() ?? 'user'}`));
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const secret = (name: string, make: () => string) => {
    const path = join(dir, name);
    writeFileSync(path, make(), { mode: 0o600 });
    chmodSync(path, 0o600);
    return path;
  };
  const adminPassword = randomBytes(18).toString('base64url');
  const passwordFile = secret('admin.password', () => `${adminPassword}\n`);
  const otpSecretFile = secret('otp.secret', () => `${randomBytes(48).toString('base64')}\n`);
  const tls = devTls(dir, [...new Set([ipaName, 'localhost', '127.0.0.1'])]);

  const closers: Array<() => Promise<void>> = [];
  try {
    const env = makeEnv({ domain, serverName: ipaName });
    let authenticators: Authenticators = passwordTableAuthenticators({ admin: adminPassword }, env.realm);
    const kerberos = values.kerberos
      ? await startDevKerberos({ dir, serverName: ipaName, realm: env.realm, domain: env.domain, adminPassword, caFile: tls.caFile })
      : null;
    if (kerberos) {
      closers.push(() => kerberos.stop());
      authenticators = kerberos.authenticators;
    }
    const ipa = await startIpaEmulator({
      env,
      authenticators,
      tls: { cert: tls.cert, key: tls.key },
      // FreeIPA with its CA, as TLS-everywhere deployments run it: deletes revoke the hosts' certificates.
      caCertificate: readFileSync(tls.caFile),
      host: '127.0.0.1',
      port: ipaPort,
    });
    closers.push(() => ipa.close());
    const openstack = await startDevOpenStack();
    closers.push(() => openstack.cloud.close());
    const confFile = join(dir, 'join.conf');
    const text = devConfText(
      userText,
      {
        DEFAULT: {
          auth_strategy: 'noauth',
          join_listen: loopback ? values.listen : '127.0.0.1',
          join_listen_port: String(port),
          domain,
          otp_secret_file: otpSecretFile,
          ...openstack.settings.DEFAULT,
        },
        service_credentials: { ...openstack.settings.service_credentials },
        // By name, as FreeIPA's Apache redirects any other Host: a --ipa-name must resolve to 127.0.0.1 here too.
        freeipa: { server: ipaName, url: ipa.url, ca_file: tls.caFile, auth: 'password', user: 'admin', password_file: passwordFile },
        notifications: { health_file: join(dir, 'notify.health') },
      },
      `Written by novajoin dev${configFile ? ` from ${configFile}` : ''}: NOT FOR PRODUCTION.\nPoints at the embedded FreeIPA at ${ipa.url}; gone when novajoin dev stops.` +
        (kerberos ? `\nnovajoin logs in with admin's password even with --kerberos (the KDC checks it); the Kerberos\nsetup is for FreeIPA's own CLI (${kerberos.krb5Conf}, ${kerberos.ipaConfDir}).` : ''),
    );
    writeFileSync(confFile, text, { mode: 0o600 });
    const loaded = flagged(() => loadConfigText(text, confFile));
    const config = loopback ? loaded.config : { ...loaded.config, server: { ...loaded.config.server, listen: values.listen } };
    const log = logOverrides(values);
    const logger = createLogger({ format: log.format ?? 'text', service: 'novajoin-dev', debug: log.debug ?? config.log.debug });
    for (const warning of loaded.warnings) logger.warn(warning);

    await prepareDevFreeIpa(config, logger, ipaName);
    const noOpenStack = { projects: { projectName: async () => null } };
    const server = await startServer(config, logger, {
      tokens: null,
      authorize: () => undefined,
      images: { imageProperties: async () => null },
      ...noOpenStack,
      portSetting: '--port',
      observeJoin: (request) => openstack.instances.seen(request),
    });
    closers.push(() => server.close());
    let notify: RunningNotify | null = null;
    let notifyLine: string;
    if (values['no-notify']) {
      notifyLine = 'not started (--no-notify)';
    } else {
      const broker = await brokerAnswers(config.notifications.transportUrl, config.notifications.tls, 3000);
      if (broker.ok) {
        notify = await startNotify(config, logger, { ...noOpenStack, ports: null });
        closers.push(() => notify!.close());
        notifyLine = `consuming ${consumedQueues(config.notifications).join(', ')} on ${broker.display} (exchanges ${config.notifications.exchanges.join(', ')})`;
      } else {
        notifyLine = `NOT STARTED: no RabbitMQ answered at ${broker.display} (${broker.reason}); deletes and updates are not followed. Start RabbitMQ or set [DEFAULT] transport_url in --config-file.`;
      }
    }

    process.stdout.write(
      devBanner({
        serverUrl: server.url, notifyLine, ipaUrl: ipa.url, passwordFile, caFile: tls.caFile, confFile,
        ipalib: kerberos ? ipalibLines(kerberos, { ipaName, ipaPort: ipa.port, passwordFile }) : [],
        computeUrl: openstack.cloud.computeUrl, keystoneUrl: openstack.cloud.authUrl,
      }),
    );
    await untilSignal();
  } finally {
    // Reached on Ctrl-C, and on a failure to start: nothing may keep the process alive.
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
  return 0;
}

/**
 * `novajoin ipa-setup`: what novajoin-ipa-setup did, idempotently. Logs in
 * to FreeIPA as an administrator (password login), creates the permissions,
 * privilege, role and service principal novajoin needs, fetches the
 * principal's keytab, and with --precreate adds a host with an OTP for a
 * machine that has no Nova instance. Progress goes to stderr; stdout carries
 * only the OTP, so `otp=$(novajoin ipa-setup --precreate x ...)` works.
 */
import { hostname as osHostname } from 'node:os';
import { clientFromConfig, type FreeIpaClient } from '../freeipa/client.js';
import { createLogger } from '../log/logger.js';
import { ensureKeytab } from '../setup/keytab.js';
import { giveKeytabTo } from '../setup/keytab-owner.js';
import { passwordFromFile, promptPassword } from '../setup/password.js';
import { precreateHost, writeOtpFile } from '../setup/precreate.js';
import { ensureRbac } from '../setup/rbac.js';
import { commandArgs, loadConfiguration } from './common.js';
import { describeFailure, EXIT_FINDINGS, EXIT_STATUS_HELP, EXIT_USAGE } from './exit.js';
import { COMMON_OPTIONS_HELP } from './options.js';

const USAGE = `Usage: novajoin ipa-setup [--config-file FILE] [--log-format FMT] [--debug]
                          [--password-file FILE] [--user admin]
                          [--hostname FQDN | --principal nova/FQDN@REALM] [--keytab FILE]
                          [--getkeytab-command CMD] [--skip-keytab] [--rotate-keytab] [--keytab-owner USER]
                          [--precreate FQDN [--otp-file FILE]]

Prepares FreeIPA for novajoin, and may be run again at any time (what exists is kept):
  - permissions "Modify service managedBy attribute" and "Modify managedBy of novajoin hosts";
  - privilege "Nova Host Management" with those, FreeIPA's host, service and DNS
    permissions and the certificate operations "Retrieve Certificates from the CA" and
    "Revoke Certificate"; role "Nova Host Manager" with that privilege;
  - the service nova/<fqdn> as the role's member, and its keytab (ipa-getkeytab).

  --password-file      file holding the admin password (else it is asked for, without echo)
  --user               FreeIPA administrator (default admin)
  --hostname           FQDN of this novajoin host (default this machine's name)
  --principal          the service principal (default [freeipa] principal, else nova/<hostname>@REALM)
  --keytab             where the keytab goes (default [DEFAULT] keytab)
  --getkeytab-command  program run as: CMD -s <server> -p <principal> -k <keytab> (default ipa-getkeytab)
  --skip-keytab        do not fetch the keytab
  --rotate-keytab      fetch new keys even when the keytab holds the principal (old copies stop working)
  --keytab-owner USER  the user the services run as, given the keytab (mode 0600) when run as root
                       (default novajoin)
  --precreate FQDN     also add host FQDN with a one-time password and print it (a node with no Nova)
  --otp-file FILE      write that OTP to FILE (mode 0600) instead of standard output
${COMMON_OPTIONS_HELP}
${EXIT_STATUS_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const parsed = commandArgs('novajoin ipa-setup', argv, {
    'password-file': { type: 'string' },
    user: { type: 'string', default: 'admin' },
    hostname: { type: 'string' },
    principal: { type: 'string' },
    keytab: { type: 'string' },
    'getkeytab-command': { type: 'string', default: 'ipa-getkeytab' },
    'skip-keytab': { type: 'boolean', default: false },
    'rotate-keytab': { type: 'boolean', default: false },
    'keytab-owner': { type: 'string', default: 'novajoin' },
    precreate: { type: 'string' },
    'otp-file': { type: 'string' },
  }, USAGE);
  if (parsed.exit !== undefined) return parsed.exit;
  const { values } = parsed;
  if (values['otp-file'] && !values.precreate) {
    process.stderr.write('novajoin ipa-setup: --otp-file goes with --precreate\n');
    return EXIT_USAGE;
  }

  let client: FreeIpaClient | undefined;
  try {
    // The keytab is what this command makes: only reaching FreeIPA is needed.
    const { config, warnings } = loadConfiguration(values, ['freeipa']);
    for (const warning of warnings) process.stderr.write(`${warning}\n`);
    const realm = config.freeipa.realm;
    const principal = servicePrincipal(values.principal ?? (config.freeipa.principal || undefined), values.hostname, realm);
    const keytab = values.keytab ?? config.freeipa.keytab;
    const password = values['password-file']
      ? await passwordFromFile(values['password-file'])
      : await promptPassword(`Password for ${values.user}@${realm}: `);
    const logger = createLogger({ debug: config.log.debug, format: config.log.format, service: 'novajoin-ipa-setup', stream: process.stderr });
    client = clientFromConfig(config, logger, { auth: { kind: 'password', user: values.user, password }, maxConcurrency: 2 });
    const say = (line: string) => process.stderr.write(`${line}\n`);

    if (values.precreate) {
      // First, and printed at once: a later failure must not lose the OTP of a host already made.
      const host = await precreateHost(client, values.precreate);
      if (values['otp-file']) {
        await writeOtpFile(values['otp-file'], host.otp);
        say(`${host.reissued ? 'new OTP for' : 'created'} host ${host.fqdn}; OTP written to ${values['otp-file']}`);
      } else {
        say(`${host.reissued ? 'new OTP for' : 'created'} host ${host.fqdn}; OTP on standard output`);
        process.stdout.write(`${host.otp}\n`);
      }
    }

    await ensureRbac({ client, principal, onStep: (step) => say(`${step.outcome.padEnd(7)} ${step.what}`) });

    if (values['skip-keytab']) {
      say(`skipped keytab ${keytab}`);
    } else {
      const outcome = await ensureKeytab({
        // With several servers (or discovery), one that just answered the RBAC calls.
        server: client.servers().find((s) => s.state === 'up')?.name || config.freeipa.server || new URL(config.freeipa.url).hostname,
        principal,
        keytab,
        admin: values.user.includes('@') ? values.user : `${values.user}@${realm}`,
        password,
        getkeytab: values['getkeytab-command'].trim().split(/\s+/),
        rotate: values['rotate-keytab'],
        timeoutMs: Math.max(30_000, config.freeipa.timeoutMs),
      });
      say(`${outcome.padEnd(7)} keytab ${keytab} for ${principal}${outcome === 'exists' ? ' (--rotate-keytab for new keys)' : ''}`);
      const owner = await giveKeytabTo(keytab, values['keytab-owner']);
      say(owner.changed ? `owner   keytab ${keytab} is ${owner.owner}'s, mode 0600` : `warning keytab ${keytab}: ${owner.why}`);
    }
    // FreeIPA lets every authenticated bind read hosts and services: the keytab is all resync's LDAP bind needs.
    if (config.ldap.auth === 'gssapi') say(`ready   LDAP reads for resync bind with GSSAPI as ${principal} (no extra right needed)`);
    return 0;
  } catch (error) {
    const { lines, status } = describeFailure(error, EXIT_FINDINGS);
    for (const line of lines) process.stderr.write(`novajoin ipa-setup: ${line}\n`);
    return status;
  } finally {
    await client?.close();
  }
}

/** nova/<fqdn>@REALM from the options, or this machine's name. */
function servicePrincipal(given: string | undefined, hostname: string | undefined, realm: string): string {
  if (given) return given.includes('@') ? given : `${given}@${realm}`;
  const fqdn = (hostname ?? osHostname()).toLowerCase().replace(/\.$/, '');
  if (!fqdn.includes('.')) throw new Error(`this machine's name "${fqdn}" is not fully qualified; pass --hostname <fqdn>`);
  return `nova/${fqdn}@${realm}`;
}

/**
 * The client configuration FreeIPA's own CLI (ipalib, `python3 -m
 * ipaclient`) reads from IPA_CONFDIR: default.conf as ipa-client-install
 * writes it, and ca.crt, the CA ipalib verifies the server's certificate
 * with. ipalib builds its URLs from the server name alone and always
 * connects to port 443.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeIpalibConf(confDir: string, p: { serverName: string; realm: string; domain: string; caFile: string }): void {
  mkdirSync(confDir, { recursive: true, mode: 0o700 });
  const basedn = p.domain.split('.').map((label) => `dc=${label}`).join(',');
  writeFileSync(
    join(confDir, 'default.conf'),
    [
      '# Written by novajoin dev --kerberos: FreeIPA\'s CLI pointed at the embedded FreeIPA.',
      '# Use with IPA_CONFDIR set to this directory, while novajoin dev runs.',
      '[global]',
      `basedn = ${basedn}`,
      `realm = ${p.realm}`,
      `domain = ${p.domain}`,
      `server = ${p.serverName}`,
      `xmlrpc_uri = https://${p.serverName}/ipa/xml`,
      // No Dogtag RA agent here: certificate commands go through the API only.
      'enable_ra = False',
      '',
    ].join('\n'),
  );
  copyFileSync(p.caFile, join(confDir, 'ca.crt'));
}

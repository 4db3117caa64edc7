/**
 * `novajoin dev --kerberos`: a real KDC beside the embedded FreeIPA, so that
 * FreeIPA's own tools, which log in only with Kerberos, can be used against
 * it: kinit admin with dev's admin password, then `python3 -m ipaclient`.
 * The realm is new at every start, like the in-memory FreeIPA. novajoin
 * itself keeps logging in with the password (join.conf), which the
 * emulator now checks against the same KDC.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Authenticators } from '../ipa-emulator/http.js';
import { kerberosAuthenticators } from '../ipa-emulator/kerberos-auth.js';
import { writeIpalibConf } from './ipalib-conf.js';
import { startKdc, type Kdc } from './kdc.js';

export interface DevKerberos {
  readonly kdc: Kdc;
  readonly authenticators: Authenticators;
  /** krb5.conf for the operator's kinit and ipalib: <dir>/krb5.conf. */
  readonly krb5Conf: string;
  /** IPA_CONFDIR for ipalib: <dir>/ipa. */
  readonly ipaConfDir: string;
  /** A ccache of its own, so the operator's own tickets are left alone. */
  readonly ccache: string;
  stop(): Promise<void>;
}

export async function startDevKerberos(p: { dir: string; serverName: string; realm: string; domain: string; adminPassword: string; caFile: string }): Promise<DevKerberos> {
  const kdcDir = join(p.dir, 'kdc');
  rmSync(kdcDir, { recursive: true, force: true });
  mkdirSync(kdcDir, { mode: 0o700 });
  const kdc = await startKdc({ dir: kdcDir, realm: p.realm, domain: p.domain });
  try {
    await kdc.addPrincipal('admin', { password: p.adminPassword });
    await kdc.addPrincipal(`HTTP/${p.serverName}`);
    const keytab = await kdc.keytab([`HTTP/${p.serverName}`], join(kdcDir, 'http.keytab'));
    // The acceptor in this process finds its keytab and the KDC through the environment (kerberos-auth.ts).
    process.env['KRB5_CONFIG'] = kdc.krb5Conf;
    process.env['KRB5_KTNAME'] = `FILE:${keytab}`;
    process.env['KRB5RCACHEDIR'] = kdcDir;
    const krb5Conf = join(p.dir, 'krb5.conf');
    copyFileSync(kdc.krb5Conf, krb5Conf);
    const ipaConfDir = join(p.dir, 'ipa');
    writeIpalibConf(ipaConfDir, p);
    return {
      kdc,
      authenticators: kerberosAuthenticators(p.serverName, p.realm),
      krb5Conf,
      ipaConfDir,
      ccache: `FILE:${join(p.dir, 'krb5cc')}`,
      stop: () => kdc.stop(),
    };
  } catch (err) {
    await kdc.stop();
    throw err;
  }
}

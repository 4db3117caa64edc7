/**
 * The two configuration files of a private MIT KDC: krb5.conf for its
 * clients and kdc.conf for krb5kdc and kadmin.local. TCP only, on one
 * loopback port: an unprivileged KDC cannot have port 88, and with no UDP
 * listener no second port can clash. No DNS lookups at all, so nothing
 * outside the directory decides where tickets come from.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface KdcFiles {
  readonly krb5Conf: string;
  readonly kdcConf: string;
}

export async function writeKdcConfig(dir: string, p: { realm: string; domain: string; port: number; maxLife: string }): Promise<KdcFiles> {
  const krb5Conf = join(dir, 'krb5.conf');
  const kdcConf = join(dir, 'kdc.conf');
  await writeFile(krb5Conf, krb5ConfText(p));
  await writeFile(
    kdcConf,
    [
      '[kdcdefaults]',
      '  kdc_listen = ""',
      `  kdc_tcp_listen = 127.0.0.1:${p.port}`,
      '',
      '[realms]',
      `  ${p.realm} = {`,
      `    database_name = ${join(dir, 'principal')}`,
      `    key_stash_file = ${join(dir, 'stash')}`,
      `    acl_file = ${join(dir, 'kadm5.acl')}`,
      '    kdc_listen = ""',
      `    kdc_tcp_listen = 127.0.0.1:${p.port}`,
      // The realm ceiling; krbtgt and new principals get it as their own maxlife too.
      `    max_life = ${p.maxLife}`,
      '    max_renewable_life = 7d',
      '    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal',
      '  }',
      '',
      '[logging]',
      `  kdc = FILE:${join(dir, 'kdc.log')}`,
      `  admin_server = FILE:${join(dir, 'kadmin.log')}`,
      `  default = FILE:${join(dir, 'krb5.log')}`,
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'kadm5.acl'), '');
  return { krb5Conf, kdcConf };
}

/** What every client of the KDC reads (KRB5_CONFIG): kinit, GSSAPI in ipalib, the acceptor in novajoin dev. */
export function krb5ConfText(p: { realm: string; domain: string; port: number }): string {
  return [
    '[libdefaults]',
    `  default_realm = ${p.realm}`,
    '  dns_lookup_kdc = false',
    '  dns_lookup_realm = false',
    '  rdns = false',
    '  dns_canonicalize_hostname = false',
    // 1 byte: every request is "too big" for UDP, so clients use TCP.
    '  udp_preference_limit = 1',
    '  forwardable = true',
    '  ignore_acceptor_hostname = false',
    '',
    '[realms]',
    `  ${p.realm} = {`,
    `    kdc = 127.0.0.1:${p.port}`,
    '  }',
    '',
    '[domain_realm]',
    `  .${p.domain} = ${p.realm}`,
    `  ${p.domain} = ${p.realm}`,
    '',
  ].join('\n');
}

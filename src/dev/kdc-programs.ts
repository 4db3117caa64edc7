/**
 * Where the MIT KDC's programs are. They live in /usr/sbin, which is not on
 * an ordinary user's PATH on Debian, so that is searched too. A missing one
 * is told by its Debian package, before anything is started or written.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface KdcPrograms {
  readonly krb5kdc: string;
  readonly kdb5Util: string;
  readonly kadminLocal: string;
}

/** A program the KDC needs is not installed. */
export class KdcMissingError extends Error {
  override name = 'KdcMissingError';
}

// krb5kdc and kdb5_util come with krb5-kdc, kadmin.local with krb5-admin-server.
const NAMES = ['krb5kdc', 'kdb5_util', 'kadmin.local'];

function find(name: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return null;
}

export function kdcPrograms(): KdcPrograms {
  const found = Object.fromEntries(NAMES.map((name) => [name, find(name)]));
  const missing = NAMES.filter((name) => !found[name]);
  if (missing.length) {
    throw new KdcMissingError(
      `--kerberos runs a Kerberos KDC, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed: ` +
        'install the Debian packages krb5-kdc krb5-admin-server (apt-get install krb5-kdc krb5-admin-server)',
    );
  }
  return { krb5kdc: found['krb5kdc']!, kdb5Util: found['kdb5_util']!, kadminLocal: found['kadmin.local']! };
}

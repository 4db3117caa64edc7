/**
 * Hands the keytab to the user the services run as. ipa-setup runs as root
 * (ipa-getkeytab writes a root-owned file) while novajoin-server and
 * novajoin-notify run as `novajoin` (systemd/novajoin.sysusers): a keytab
 * left to root makes every FreeIPA login fail at the first start.
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown } from 'node:fs/promises';

export type OwnerOutcome = { readonly changed: true; readonly owner: string } | { readonly changed: false; readonly why: string };

/** uid and gid of `user` through NSS (getent), so directory-backed users count too; null when unknown. */
export function lookupUser(user: string): { uid: number; gid: number } | null {
  try {
    const line = execFileSync('getent', ['passwd', user], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    const [, , uid, gid] = line.trim().split(':');
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
  } catch {
    return null;
  }
}

export async function giveKeytabTo(keytab: string, user: string): Promise<OwnerOutcome> {
  if (process.getuid?.() !== 0) return { changed: false, why: `not root: the keytab stays owned by the user running ipa-setup` };
  const found = lookupUser(user);
  if (!found) return { changed: false, why: `no user ${user} on this machine (systemd-sysusers creates it from novajoin.sysusers): the keytab stays owned by root` };
  await chown(keytab, found.uid, found.gid);
  await chmod(keytab, 0o600);
  return { changed: true, owner: user };
}

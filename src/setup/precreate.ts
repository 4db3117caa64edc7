/**
 * `--precreate <fqdn>`: a host with no Nova instance behind it (a
 * pre-provisioned node, the undercloud itself) gets a FreeIPA host and a
 * one-time password to run ipa-client-install with. Its description marks it
 * as made by novajoin but is deliberately not a host binding (B2): no
 * instance owns it, so resync and the listener never touch it, and a Nova
 * instance asking for the same name gets a conflict, not this host.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FreeIpaClient } from '../freeipa/client.js';
import { hostAdd, hostMod, hostShow } from '../freeipa/commands.js';
import { DuplicateEntryError } from '../freeipa/errors.js';

/** Not `novajoin:v1`: the LDAP inventory and parseBinding only take that prefix. */
export const PRECREATED_MARKER = 'novajoin:precreated';

export interface Precreated {
  readonly fqdn: string;
  readonly otp: string;
  /** The host existed (precreated before, never enrolled) and got a new OTP. */
  readonly reissued: boolean;
}

export function precreateDescription(now = Date.now()): string {
  return `${PRECREATED_MARKER} issued=${Math.floor(now / 1000)}`;
}

export async function precreateHost(client: FreeIpaClient, fqdnRaw: string): Promise<Precreated> {
  const fqdn = fqdnRaw.trim().toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(fqdn)) throw new Error(`--precreate needs a fully qualified host name, not "${fqdnRaw}"`);
  // Hex, 160 bits: the shape of the OTPs novajoin derives, safe in shells and option parsers.
  const otp = randomBytes(20).toString('hex');
  try {
    await client.call(hostAdd(fqdn, { force: true, userpassword: otp, description: precreateDescription() }));
    return { fqdn, otp, reissued: false };
  } catch (error) {
    if (!(error instanceof DuplicateEntryError)) throw error;
  }
  const { result } = await client.call(hostShow(fqdn));
  const descriptions = list(result['description']);
  if (!descriptions.some((d) => d.startsWith(PRECREATED_MARKER))) {
    throw new Error(`host ${fqdn} already exists and was not precreated by novajoin; leaving it alone`);
  }
  if (result['has_keytab'] === true) {
    throw new Error(`host ${fqdn} has already enrolled; to enroll it again, run \`ipa host-disable ${fqdn}\` first`);
  }
  await client.call(hostMod(fqdn, { userpassword: otp, description: precreateDescription() }));
  return { fqdn, otp, reissued: true };
}

/** Writes the OTP to a file only its owner may read, whatever mode the file had. */
export async function writeOtpFile(path: string, otp: string): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(`${otp}\n`, 'utf8');
  } finally {
    await handle.close();
  }
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

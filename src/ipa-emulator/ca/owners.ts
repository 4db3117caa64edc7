/**
 * Certificates of hosts and services, the one place their rule lives
 * (service.py revoke_certs, used by host_del, host_disable, service_del and
 * service_disable): with a CA, each certificate `cert_find` lists for the
 * owner that the CA issued (it has a `cacn`) and that is not revoked yet is
 * revoked with reason 4 (superseded) through `cert_revoke`, so the caller
 * needs both "retrieve certificate" and "revoke certificate". Without a CA
 * nothing is revoked and, on disable, nothing is removed.
 */
import type { CommandContext } from '../command.js';
import type { IpaEntry } from '../store.js';
import { messages } from '../wire.js';
import { certificateAttrs, parseCertificate } from './certificate.js';

export type CertOwner = { readonly host: string } | { readonly service: string };

/** RFC 5280 superseded: the reason FreeIPA gives when an owner goes away. */
export const SUPERSEDED = 4;

/** revoke_certs(cert_find(owner)): how many certificates the owner had. */
export async function revokeOwnerCertificates(ctx: CommandContext, owner: CertOwner): Promise<number> {
  if (!ctx.ca) return 0;
  const query = 'host' in owner ? { host: [owner.host] } : { service: [owner.service] };
  const found = (await ctx.call('cert_find', [], query, { internal: true })).result as Record<string, unknown>[];
  for (const cert of found) {
    // No cacn: a foreign CA's certificate, which this CA cannot revoke.
    if (!('cacn' in cert) || cert.revoked === true) continue;
    await ctx.call('cert_revoke', [cert.serial_number], { cacn: cert.cacn, revocation_reason: SUPERSEDED }, { internal: true });
  }
  return found.length;
}

/** *_disable: revoke, then clear `usercertificate`; false when there was nothing to do. */
export async function disableOwnerCertificates(ctx: CommandContext, owner: CertOwner, dn: string): Promise<boolean> {
  if (!ctx.ca || (await revokeOwnerCertificates(ctx, owner)) === 0) return false;
  await ctx.store.modify(dn, [{ op: 'replace', attr: 'usercertificate', values: [] }]);
  return true;
}

/** A command stored certificates: the CA keeps a record of those it signed, as Dogtag has of what it issues. */
export function recordStoredCertificates(ctx: CommandContext, entry: IpaEntry): void {
  if (!ctx.ca) return;
  for (const value of entry.attrs.usercertificate ?? []) {
    const cert = parseCertificate(value);
    if (cert) ctx.ca.learn(cert);
  }
}

/**
 * *_show/*_find/*_add/*_mod output: `usercertificate` as DER bytes (base64
 * on the wire) plus set_certificate_attrs' fields; a certificate that does
 * not parse drops them all and says so (CertificateInvalid).
 */
export function withCertificateAttrs(ctx: CommandContext, out: Record<string, unknown>, subject: string, raw: boolean): Record<string, unknown> {
  const values = out.usercertificate;
  if (raw || !Array.isArray(values) || values.length === 0) return out;
  const certs = values.map((v) => parseCertificate(String(v)));
  if (certs.some((c) => c === null)) {
    delete out.usercertificate;
    ctx.addMessage(messages.certificateInvalid(subject, 'not a valid DER-encoded X.509 certificate'));
    return out;
  }
  const parsed = certs.filter((c) => c !== null);
  out.usercertificate = parsed.map((c) => new Uint8Array(c.der));
  return Object.assign(out, certificateAttrs(parsed[0]!));
}

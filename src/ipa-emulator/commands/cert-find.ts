/**
 * cert_find (ipaserver/plugins/cert.py, 4.9): the CA's records (narrowed
 * to the owner's name when one owner is asked for) merged with the
 * certificates stored on hosts and services; naming owners makes the
 * directory's side authoritative, so certificates the owner no longer holds
 * drop out. Without a CA only the directory is read, and the certificate
 * itself is shown only with `all`.
 */
import type { CaRecord } from '../ca/authority.js';
import { parseCertificate, parsedCertFields, serialHex, serialValue, type CertificateFacts } from '../ca/certificate.js';
import type { CommandContext } from '../command.js';
import { get, type Params } from '../params.js';
import { f, type Filter } from '../store.js';
import { IpaDateTime } from '../wire.js';
import { certificateHolders, checkCacn, owners } from './cert-common.js';
import { matchedSummary } from './host-find.js';
import { normalizeHostname } from './host-name.js';
import { servicePrincipal } from './principal.js';

/** What Dogtag's find returns for a record (ra.find, then cert_find's conversion). */
function caObject(record: CaRecord, cacn: string): Record<string, unknown> {
  const c = record.cert;
  return {
    serial_number: serialValue(c.serial),
    subject: c.subject,
    issuer: c.issuer,
    valid_not_before: new IpaDateTime(pkiTime(c.notBefore)),
    valid_not_after: new IpaDateTime(pkiTime(c.notAfter)),
    status: record.revocation ? 'REVOKED' : 'VALID',
    revoked: record.revocation !== null,
    cacn,
  };
}

function pkiTime(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`;
}

interface Found {
  obj: Record<string, unknown>;
  cert: CertificateFacts | null;
  owners: string[];
}

export async function certFind(ctx: CommandContext, params: Params) {
  checkCacn(params);
  const all = get.flag(params, 'all');
  const pkeyOnly = get.flag(params, 'pkey_only');
  const noMembers = params.no_members !== false;
  if (get.str(params, 'criteria') !== undefined) return { result: [], count: 0, truncated: false, summary: matchedSummary(0, 'certificate', 'certificates') };
  const hosts = (get.strs(params, 'host') ?? []).map(normalizeHostname);
  const services = (get.strs(params, 'service') ?? []).map((s) => servicePrincipal(s, ctx.env, 'service', true).principal);
  const found = new Map<string, Found>();
  const key = (c: CertificateFacts) => `${c.issuer}|${c.serial}`;
  // The CA's side: Dogtag's records, narrowed to the owner's name when there is exactly one owner.
  if (ctx.ca) {
    const cn = hosts.length === 1 && !services.length ? hosts[0] : services.length === 1 && !hosts.length ? serviceHost(services[0]) : undefined;
    for (const r of cn ? ctx.ca.findBySubjectCn(cn) : ctx.ca.all()) {
      found.set(key(r.cert), { obj: pkeyOnly ? { serial_number: serialValue(r.cert.serial) } : caObject(r, ctx.ca.cacn), cert: r.cert, owners: [] });
    }
  }
  // The directory's side: complete when it names owners, so the CA-only hits go.
  const filters: Filter[] = [];
  if (hosts.length) filters.push(f.eq('objectclass', 'ipahost'), ...hosts.map((h) => f.eq('fqdn', h)));
  if (services.length) filters.push(f.eq('objectclass', 'ipaservice'), ...services.map((s) => f.eq('krbprincipalname', s)));
  const fromLdap = new Set<string>();
  for (const entry of await certificateHolders(ctx, filters.length ? f.and(...filters) : null)) {
    for (const value of entry.attrs.usercertificate ?? []) {
      const cert = parseCertificate(value);
      if (!cert) continue;
      const k = key(cert);
      fromLdap.add(k);
      const hit = found.get(k) ?? { obj: { serial_number: serialValue(cert.serial) }, cert, owners: [] };
      if (!pkeyOnly && (all || !ctx.ca)) hit.obj.certificate = cert.der.toString('base64');
      if (!hit.owners.includes(entry.dn)) hit.owners.push(entry.dn);
      found.set(k, hit);
    }
  }
  if (filters.length) for (const k of [...found.keys()]) if (!fromLdap.has(k)) found.delete(k);
  let result = [...found.values()].map(({ obj, cert, owners: dns }) => {
    if (pkeyOnly) return obj;
    if (all && 'cacn' in obj && cert && ctx.ca) {
      const record = ctx.ca.get(cert.serial);
      obj.certificate = cert.der.toString('base64');
      if (record.revocation) obj.revocation_reason = record.revocation.reason;
    }
    if (!get.flag(params, 'raw') && cert && typeof obj.certificate === 'string') Object.assign(obj, parsedCertFields(cert, all));
    else if (cert) obj.serial_number_hex = serialHex(cert.serial);
    if (!ctx.ca && !all) delete obj.certificate;
    if (all || !noMembers) Object.assign(obj, owners(ctx, dns));
    return obj;
  });
  const limit = get.int(params, 'sizelimit') ?? ctx.env.searchRecordsLimit;
  const truncated = limit > 0 && result.length > limit;
  if (truncated) result = result.slice(0, limit);
  return { result, count: result.length, truncated, summary: matchedSummary(result.length, 'certificate', 'certificates') };
}

function serviceHost(principal: string | undefined): string | undefined {
  return principal?.split('@')[0]?.split('/')[1];
}

/**
 * cert_show, cert_find, cert_revoke and ca_is_enabled (ipaserver/plugins/
 * cert.py, 4.9) over the test CA (ca/authority.ts): enough to see which
 * certificates an owner has, whether each is revoked and why, and to revoke
 * one with the rights FreeIPA asks for. Without a CA, cert_show and
 * cert_revoke answer NotFound 'CA is not configured' and cert_find reads
 * the directory only.
 */
import { NotFoundError } from '../../freeipa/errors.js';
import { checkCertOperation } from '../ca/access.js';
import { IPA_CA_CN, requireCa, type CaRecord } from '../ca/authority.js';
import { parseCertificate, parsedCertFields, serialHex, serialValue, type CertificateFacts } from '../ca/certificate.js';
import { defineCommands, type CommandContext } from '../command.js';
import { containers, objectTypeOfDn } from '../layout.js';
import { get, p, validationError, type Params } from '../params.js';
import { f, type Filter } from '../store.js';
import { IpaDateTime, NamedIpaError } from '../wire.js';
import { servicePrincipal } from './principal.js';
import { matchedSummary, normalizeHostname } from './host.js';
import { firstRdnValue } from '../dn.js';

/** normalize_serial_number: decimal, or hexadecimal with 0x. */
function serialOf(raw: unknown): bigint {
  const text = String(raw).trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) return BigInt(text);
  throw validationError('serial_number', 'must be an integer');
}

function checkCacn(params: Params): void {
  const cacn = get.str(params, 'cacn') ?? IPA_CA_CN;
  if (cacn !== IPA_CA_CN) throw new NotFoundError(`${cacn}: Certificate Authority not found`, { reason: `${cacn}: Certificate Authority not found` });
}

/** _fill_owners: the hosts and services whose entries hold the certificate. */
function owners(ctx: CommandContext, dns: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const dn of dns) {
    const type = objectTypeOfDn(ctx.env, dn);
    if (type !== 'host' && type !== 'service') continue;
    (out[`owner_${type}`] ??= []).push(firstRdnValue(dn));
  }
  return out;
}

/** Entries holding certificates, optionally only those of some hosts or services (cert_find's LDAP sub-search). */
async function certificateHolders(ctx: CommandContext, filter: Filter | null) {
  const { entries } = await ctx.store.search(containers(ctx.env).accounts, {
    scope: 'sub',
    filter: filter ? f.and(filter, f.present('usercertificate')) : f.present('usercertificate'),
  });
  return entries;
}

async function certShow(ctx: CommandContext, params: Params) {
  const ca = requireCa(ctx.ca);
  const serial = serialOf(params.serial_number);
  const record = ca.get(serial);
  await checkCertOperation(ctx, 'retrieve certificate', record.cert);
  checkCacn(params);
  const all = get.flag(params, 'all');
  const result: Record<string, unknown> = { certificate: record.cert.der.toString('base64') };
  if (record.revocation) result.revocation_reason = record.revocation.reason;
  if (!get.flag(params, 'raw')) Object.assign(result, parsedCertFields(record.cert, all));
  result.revoked = record.revocation !== null;
  if (all || !get.flag(params, 'no_members')) {
    const holders = (await certificateHolders(ctx, null)).filter((e) => (e.attrs.usercertificate ?? []).some((v) => parseCertificate(v)?.serial === serial));
    Object.assign(result, owners(ctx, holders.map((e) => e.dn)));
  }
  result.cacn = ca.cacn;
  return { result, value: serialValue(serial), summary: null };
}

async function certRevoke(ctx: CommandContext, params: Params) {
  const ca = requireCa(ctx.ca);
  const serial = serialOf(params.serial_number);
  // cert_revoke runs cert_show first, so the caller needs "retrieve certificate" too.
  await ctx.call('cert_show', [serialValue(serial)], { cacn: get.str(params, 'cacn') ?? IPA_CA_CN }, { internal: true });
  const record = ca.get(serial);
  await checkCertOperation(ctx, 'revoke certificate', record.cert);
  const reason = get.int(params, 'revocation_reason') ?? 0;
  if (reason < 0 || reason > 10) throw validationError('revocation_reason', reason < 0 ? 'must be at least 0' : 'can be at most 10');
  if (reason === 7) {
    const error = '7 is not a valid revocation reason';
    throw new NamedIpaError(4301, 'CertificateOperationError', `Certificate operation cannot be completed: ${error}`, { error });
  }
  ca.revoke(serial, reason);
  return { result: { revoked: true } };
}

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

async function certFind(ctx: CommandContext, params: Params) {
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

const serialArg = p.str('serial_number', { required: true });

export const certCommands = defineCommands(
  {
    name: 'cert_show',
    write: false,
    args: [serialArg],
    options: [p.str('cacn', { cli: 'ca' }), p.str('out'), p.flag('chain'), p.flag('all'), p.flag('raw'), p.flag('no_members')],
    run: certShow,
  },
  {
    name: 'cert_revoke',
    write: true,
    args: [serialArg],
    options: [p.str('cacn', { cli: 'ca' }), p.int('revocation_reason', { default: 0 })],
    run: certRevoke,
  },
  {
    name: 'cert_find',
    write: false,
    args: [p.str('criteria')],
    options: [
      p.str('cacn', { cli: 'ca' }), p.strs('host'), p.strs('service'), p.int('timelimit'), p.int('sizelimit'), p.flag('pkey_only'), p.flag('all'), p.flag('raw'), p.flag('no_members', { default: true }),
    ],
    run: certFind,
  },
  {
    name: 'ca_is_enabled',
    write: false,
    args: [],
    options: [],
    async run(ctx) {
      return { result: ctx.ca !== null, value: null };
    },
  },
);

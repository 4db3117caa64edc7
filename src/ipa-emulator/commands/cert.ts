/**
 * cert_show, cert_find, cert_revoke and ca_is_enabled (ipaserver/plugins/
 * cert.py, 4.9; cert_find's logic is in cert-find.ts) over the test CA
 * (ca/authority.ts): enough to see which
 * certificates an owner has, whether each is revoked and why, and to revoke
 * one with the rights FreeIPA asks for. Without a CA, cert_show and
 * cert_revoke answer NotFound 'CA is not configured' and cert_find reads
 * the directory only.
 */
import { checkCertOperation } from '../ca/access.js';
import { IPA_CA_CN, requireCa } from '../ca/authority.js';
import { parseCertificate, parsedCertFields, serialValue } from '../ca/certificate.js';
import { defineCommands, type CommandContext } from '../command.js';
import { get, p, validationError, type Params } from '../params.js';
import { NamedIpaError } from '../wire.js';
import { certFind } from './cert-find.js';
import { certificateHolders, checkCacn, owners } from './cert-common.js';

/** normalize_serial_number: decimal, or hexadecimal with 0x. */
function serialOf(raw: unknown): bigint {
  const text = String(raw).trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) return BigInt(text);
  throw validationError('serial_number', 'must be an integer');
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

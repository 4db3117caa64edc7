/**
 * The zones of the DNS commands: the one a dnsrecord_* command names (NotFound
 * when DNS is not configured or the zone is absent), dnszone_show and
 * dns_is_enabled.
 */
import { NotFoundError } from '../../freeipa/errors.js';
import type { CommandContext, CommandDef } from '../command.js';
import { dnsConfigured, getZoneEntry } from '../dns-data.js';
import { absoluteZone } from '../layout.js';
import { entryOutput, notFound, type ObjectDef } from '../objects.js';
import { get, p, type Params } from '../params.js';
import type { IpaEntry } from '../store.js';
import { DnsName } from '../wire.js';

const ZONE: ObjectDef = { type: 'dnszone', label: 'DNS zone', pkeyAttr: 'idnsname', defaultAttrs: [], attributeMembers: {} };

export async function requireZone(ctx: CommandContext, zoneRaw: string): Promise<{ zone: string; entry: IpaEntry }> {
  if (!(await dnsConfigured(ctx))) throw new NotFoundError('DNS is not configured', { reason: 'DNS is not configured' });
  const zone = absoluteZone(zoneRaw);
  const entry = await getZoneEntry(ctx, zone);
  if (!entry) throw notFound(ZONE, zone);
  return { zone, entry };
}

async function dnszoneShow(ctx: CommandContext, params: Params) {
  const { zone, entry } = await requireZone(ctx, String(params.idnsname));
  const out = await entryOutput(ctx, { ...ZONE, defaultAttrs: Object.keys(entry.attrs).filter((a) => a !== 'objectclass') }, entry, {
    all: get.flag(params, 'all'),
    raw: get.flag(params, 'raw'),
  });
  return { result: out, value: new DnsName(zone), summary: null };
}

async function dnsIsEnabled(ctx: CommandContext) {
  return { result: await dnsConfigured(ctx), value: null, summary: null };
}

export const dnszoneShowCommand: CommandDef = { name: 'dnszone_show', write: false, args: [p.str('idnsname', { cli: 'name', required: true })], options: [p.flag('all'), p.flag('raw'), p.flag('rights')], run: dnszoneShow };

export const dnsIsEnabledCommand: CommandDef = { name: 'dns_is_enabled', write: false, args: [], options: [], run: dnsIsEnabled };

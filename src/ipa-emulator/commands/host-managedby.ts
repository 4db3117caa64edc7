/**
 * host_add_managedby / host_remove_managedby (ipaserver/plugins/host.py,
 * LDAPAddMember on `managedby`): lets other hosts manage this one, e.g. get
 * certificates for a subhost's services. Refusals are reported in `failed`,
 * as for every membership command.
 */
import { defineCommands, type CommandContext } from '../command.js';
import { addMembers, removeMembers } from '../members.js';
import { entryOutput, OBJECTS } from '../objects.js';
import { get, p, type Params } from '../params.js';
import { requireHost } from './host-entry.js';
import { normalizeHostname } from './host-name.js';

const HOST = OBJECTS.host;
const options = [p.strs('host'), p.flag('all'), p.flag('raw'), p.flag('no_members')];

async function change(ctx: CommandContext, params: Params, how: typeof addMembers) {
  const entry = await requireHost(ctx, normalizeHostname(String(params.fqdn)));
  const { completed, failed } = await how(ctx, entry.dn, 'managedby', [{ type: 'host', names: get.strs(params, 'host') ?? [] }]);
  const updated = await requireHost(ctx, normalizeHostname(String(params.fqdn)));
  const result = await entryOutput(ctx, HOST, updated, { all: get.flag(params, 'all'), raw: get.flag(params, 'raw'), noMembers: get.flag(params, 'no_members') });
  return { completed, failed: { managedby: failed }, result };
}

export const hostManagedByCommands = defineCommands(
  { name: 'host_add_managedby', write: true, args: [p.str('fqdn', { cli: 'hostname', required: true })], options, run: (ctx, params) => change(ctx, params, addMembers) },
  { name: 'host_remove_managedby', write: true, args: [p.str('fqdn', { cli: 'hostname', required: true })], options, run: (ctx, params) => change(ctx, params, removeMembers) },
);

/**
 * host_show (ipaserver/plugins/host.py, FreeIPA 4.9): the entry with its
 * certificates, password and keytab presence and ticket flags.
 */
import { withCertificateAttrs } from '../ca/owners.js';
import type { CommandContext, CommandDef } from '../command.js';
import { entryOutput, OBJECTS, passwordFlags } from '../objects.js';
import { get, p, retrieveOptions, type Params } from '../params.js';
import { first } from '../store.js';
import { requireHost } from './host-entry.js';
import { hostKey } from './host-name.js';
import { fqdnArg } from './host-options.js';
import { kerberosFlags } from './host-ticket-flags.js';

const HOST = OBJECTS.host;

async function hostShow(ctx: CommandContext, params: Params) {
  const key = hostKey(params.fqdn);
  const entry = await requireHost(ctx, key);
  const result = await entryOutput(ctx, HOST, entry, {
    all: get.flag(params, 'all'),
    raw: get.flag(params, 'raw'),
    noMembers: get.flag(params, 'no_members'),
  });
  withCertificateAttrs(ctx, result, first(entry, 'fqdn') ?? key, get.flag(params, 'raw'));
  Object.assign(result, await passwordFlags(ctx, 'host', entry), kerberosFlags(entry, params));
  return { result, value: key, summary: null };
}

export const hostShowCommand: CommandDef = {
  name: 'host_show',
  write: false,
  args: [fqdnArg],
  options: [...retrieveOptions(true), p.str('out')],
  run: hostShow,
};

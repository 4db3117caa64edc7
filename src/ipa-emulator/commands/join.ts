/**
 * join (ipaserver/plugins/join.py): the Kerberos path of ipa-join, where an
 * administrator's credentials create or reuse the host entry and make sure
 * it has a principal. The OTP path is enrollment.ts (an LDAP operation in
 * FreeIPA, not a JSON-RPC command).
 */
import { NotFoundError } from '../../freeipa/errors.js';
import { defineCommands, type CommandContext } from '../command.js';
import { findHost } from '../objects.js';
import { get, p, validationError, type Params } from '../params.js';
import { has } from '../store.js';

async function join(ctx: CommandContext, params: Params) {
  const hostname = String(params.cn);
  if (hostname.split('.').length < 2) throw validationError('hostname', 'Fully-qualified hostname required');
  const extra: Record<string, unknown> = {};
  for (const name of ['nshardwareplatform', 'nsosversion']) {
    const v = get.str(params, name);
    if (v !== undefined) extra[name] = v;
  }
  const existing = await findHost(ctx, hostname.toLowerCase().replace(/\.$/, ''));
  if (existing) {
    if (!has(existing, 'krbprincipalname')) {
      await ctx.call('host_mod', [hostname], { ...extra, krbprincipalname: `host/${hostname}@${ctx.env.realm}` }, { internal: true });
    }
  } else {
    try {
      await ctx.call('host_add', [hostname], { ...extra, force: true }, { internal: true });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  const shown = await ctx.call('host_show', [hostname], { all: true }, { internal: true });
  const attrs: Record<string, unknown> = { ...(shown.result as Record<string, unknown>), ipacertificatesubjectbase: [`O=${ctx.env.realm}`] };
  return [attrs.dn, attrs];
}

export const joinCommands = defineCommands({
  name: 'join',
  write: true,
  args: [p.str('cn', { cli: 'hostname', required: true })],
  options: [p.str('realm'), p.str('nshardwareplatform', { cli: 'platform' }), p.str('nsosversion', { cli: 'os' })],
  run: join,
});

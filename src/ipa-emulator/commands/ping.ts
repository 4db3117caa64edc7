/**
 * ping (ipaserver/plugins/ping.py), env (ipalib/plugins... ipaserver's
 * `env`, which FreeIPA's own client asks for `api_version` when the server
 * offers no `schema`) and session_logout (ipaserver/plugins/session.py): the
 * cheap version probe, the server's environment, and the end of a cookie
 * session.
 */
import { defineCommands, type CommandContext } from '../command.js';
import { p } from '../params.js';

/** The part of api.env a client may ask about. */
function serverEnv(ctx: CommandContext): Record<string, unknown> {
  const { env } = ctx;
  return {
    api_version: env.apiVersion,
    version: env.packageVersion,
    realm: env.realm,
    domain: env.domain,
    basedn: env.suffix,
    host: env.serverName,
    server: env.serverName,
    xmlrpc_uri: `https://${env.serverName}/ipa/xml`,
    jsonrpc_uri: `https://${env.serverName}/ipa/json`,
    context: 'server',
    in_server: true,
    enable_ra: ctx.ca !== null,
    ca_host: env.serverName,
  };
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

export const miscCommands = defineCommands(
  {
    name: 'ping',
    write: false,
    args: [],
    options: [],
    async run(ctx) {
      return { summary: `IPA server version ${ctx.env.packageVersion}. API version ${ctx.env.apiVersion}` };
    },
  },
  {
    name: 'env',
    write: false,
    args: [p.strs('variables')],
    options: [p.flag('server'), p.flag('all', { default: true })],
    async run(ctx, params) {
      const all = serverEnv(ctx);
      const queries = (params.variables as string[] | null | undefined) ?? null;
      const keys = queries === null ? Object.keys(all) : [...new Set(queries.flatMap((q) => (q.includes('*') ? Object.keys(all).filter((k) => globMatch(q, k)) : [q])))];
      const result = Object.fromEntries(keys.filter((k) => k in all).map((k) => [k, all[k]]));
      return { result, count: keys.length, total: Object.keys(all).length, summary: keys.length > 1 ? `${keys.length} variables` : null };
    },
  },
  {
    name: 'session_logout',
    write: false,
    args: [],
    options: [],
    async run(ctx) {
      ctx.session?.logout();
      return { result: null };
    },
  },
);

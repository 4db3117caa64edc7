/**
 * The FreeIPA lines of `novajoin check`: each server when there are several,
 * then the login as the service and its role, over one client.
 */
import type { Config } from '../config/types.js';
import { clientFromConfig, type FreeIpaClient } from '../freeipa/client.js';
import { FreeIpaAuthError, FreeIpaTlsError, FreeIpaUnavailableError } from '../freeipa/errors.js';
import { ROLE } from '../setup/rbac.js';
import { CheckTimeout, fail, withDeadline, type CheckContext, type CheckLine } from './checks.js';
import { checkFreeIpaServers, hasSeveralServers } from './freeipa-servers.js';
import { checkRole } from './freeipa-role.js';

/** FreeIPA login, then the role: two lines, one client. */
export async function checkFreeIpa(ctx: CheckContext): Promise<CheckLine[]> {
  const { config } = ctx;
  const who = config.freeipa.auth === 'kerberos' ? `with keytab ${config.freeipa.keytab}` : `as ${config.freeipa.user}`;
  const several = hasSeveralServers(config);
  const login = several ? `FreeIPA login through the first server that answers ${who}` : `FreeIPA login to ${config.freeipa.url || '(no [freeipa] url)'} ${who}`;
  if (!config.freeipa.url && !several && !config.freeipa.discover) {
    return [
      { ok: false, what: login, why: 'neither [freeipa] server nor [freeipa] url is set', fix: 'set [freeipa] server to the FreeIPA server\'s FQDN' },
      { ok: false, what: `FreeIPA role "${ROLE}"`, why: 'not checked: no FreeIPA login', fix: 'fix the line above first' },
    ];
  }
  const servers = await checkFreeIpaServers(ctx, (error) => freeIpaFix(error, config));
  return [...servers, ...(await checkLoginAndRole(ctx, login))];
}

async function checkLoginAndRole(ctx: CheckContext, login: string): Promise<CheckLine[]> {
  const { config } = ctx;
  let client: FreeIpaClient;
  try {
    client = clientFromConfig(config, ctx.logger.child({ component: 'freeipa' }), { retries: 0 });
  } catch (error) {
    return [fail(login, error, freeIpaFix(error, config)), { ok: false, what: `FreeIPA role "${ROLE}"`, why: 'not checked: no FreeIPA login', fix: 'fix the line above first' }];
  }
  try {
    let summary: string;
    try {
      summary = await withDeadline(ctx.timeoutMs, () => client.ping({ deadline: Date.now() + ctx.timeoutMs }));
    } catch (error) {
      return [fail(login, error, freeIpaFix(error, config)), { ok: false, what: `FreeIPA role "${ROLE}"`, why: 'not checked: no FreeIPA login', fix: 'fix the line above first' }];
    }
    return [{ ok: true, what: `${login} (${summary})` }, await checkRole(ctx, client)];
  } finally {
    await client.close();
  }
}

function freeIpaFix(error: unknown, config: Config): string {
  if (error instanceof FreeIpaTlsError) return `make [freeipa] ca_file (${config.freeipa.caFile}) FreeIPA's CA, e.g. a copy of /etc/ipa/ca.crt`;
  if (error instanceof FreeIpaAuthError) {
    return config.freeipa.auth === 'kerberos'
      ? `check [DEFAULT] keytab (${config.freeipa.keytab}) and [freeipa] principal; \`novajoin ipa-setup --rotate-keytab\` fetches a new keytab`
      : 'check [freeipa] user and password_file';
  }
  if (error instanceof CheckTimeout || error instanceof FreeIpaUnavailableError) return `check [freeipa] server and url, and that FreeIPA is up and reachable from here`;
  return 'check the [freeipa] section';
}

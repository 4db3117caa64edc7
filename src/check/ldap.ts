/**
 * The inventory line of `novajoin check`: the LDAP bind resync makes and a
 * read of the hosts, or the same read through FreeIPA's API when resync uses
 * that (api-inventory.ts).
 */
import type { Config } from '../config/types.js';
import { LdapAuthError, LdapTlsError, LdapUnavailableError } from '../freeipa/ldap-inventory.js';
import { inventoryFromConfig } from '../resync/from-config.js';
import { checkApiInventory } from './api-inventory.js';
import { CheckTimeout, fail, withDeadline, type CheckContext, type CheckLine } from './checks.js';

export async function checkLdap(ctx: CheckContext): Promise<CheckLine> {
  if (ctx.config.ldap.inventory === 'api') return checkApiInventory(ctx);
  const { ldap, freeipa } = ctx.config;
  const how =
    ldap.auth === 'gssapi'
      ? `with GSSAPI (keytab ${freeipa.keytab}${freeipa.principal ? `, ${freeipa.principal}` : ''})`
      : ldap.auth === 'simple'
        ? `as ${ldap.bindDn || '(no bind_dn)'}`
        : 'anonymously';
  const base = `cn=computers,cn=accounts,${ldap.baseDn}`;
  const what = `LDAP ${ldap.url || '(no [ldap] url)'} ${how} reads ${base}`;
  if (!ldap.url && ldap.urls.length === 0 && !ctx.config.freeipa.discover) return { ok: false, what, why: 'neither [ldap] url nor [freeipa] server (for ldaps://<server>) is set', fix: 'set [freeipa] server, or [ldap] url' };
  let inventory;
  try {
    inventory = inventoryFromConfig(ctx.config);
  } catch (error) {
    return fail(what, error, 'check the [ldap] section');
  }
  try {
    const boundAs = await withDeadline(ctx.timeoutMs, async () => {
      const dn = await inventory.whoami();
      for await (const host of inventory.hosts()) {
        void host;
        break;
      }
      return dn;
    });
    if (ldap.auth === 'anonymous') return { ok: true, what: `${what} (anonymous: FreeIPA shows anonymous binds no hosts or services)` };
    return { ok: true, what: `${what}, bound as ${boundAs || '(the server did not say)'}` };
  } catch (error) {
    return fail(what, error, ldapFix(error, ctx.config));
  } finally {
    await inventory.close();
  }
}

function ldapFix(error: unknown, config: Config): string {
  if (error instanceof LdapAuthError) {
    return config.ldap.auth === 'gssapi'
      ? `check [DEFAULT] keytab (${config.freeipa.keytab}) and [freeipa] principal, and that [ldap] url names the server as in its ldap/<host> principal; \`novajoin ipa-setup --rotate-keytab\` fetches a new keytab`
      : 'check [ldap] bind_dn and bind_password_file';
  }
  if (error instanceof LdapTlsError) return `make [freeipa] ca_file (${config.freeipa.caFile}) FreeIPA's CA`;
  if (error instanceof LdapUnavailableError || error instanceof CheckTimeout) {
    return config.ldap.auth === 'gssapi' ? 'check [ldap] url, that the directory and the KDC are reachable from here' : 'check [ldap] url and that the directory is reachable from here';
  }
  return 'check the [ldap] section';
}

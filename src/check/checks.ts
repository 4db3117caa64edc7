/**
 * `novajoin check`: one probe per dependency, each with its own deadline,
 * each turned into one line that says what was checked, why it failed and
 * what to do about it. A probe never throws; it returns its line.
 */
import { connect } from 'amqplib';
import { loadBrokerTls } from '../notify/broker-tls.js';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/types.js';
import { clientFromConfig, type FreeIpaClient } from '../freeipa/client.js';
import { roleShow, serviceShow } from '../freeipa/commands.js';
import { privilegeShow } from './commands.js';
import { checkFreeIpaServers, hasSeveralServers } from './freeipa-servers.js';
import { ACIError, FreeIpaAuthError, FreeIpaError, FreeIpaTlsError, FreeIpaUnavailableError, NotFoundError } from '../freeipa/errors.js';
import { checkApiInventory } from './api-inventory.js';
import { LdapAuthError, LdapTlsError, LdapUnavailableError } from '../freeipa/ldap-inventory.js';
import type { Logger } from '../log/logger.js';
import { parseTransportUrl } from '../notify/transport-url.js';
import { EndpointNotFound, ServiceCredentialsRefused, UnexpectedResponse } from '../openstack/errors.js';
import { openStackFromConfig, type OpenStack, type OpenStackOptions } from '../openstack/index.js';
import { inventoryFromConfig } from '../resync/from-config.js';
import { PERMISSIONS, PRIVILEGE, ROLE, SYSTEM_PERMISSIONS } from '../setup/rbac.js';

export interface CheckLine {
  readonly ok: boolean;
  readonly what: string;
  readonly why?: string;
  readonly fix?: string;
}

/**
 * One check of `novajoin check`: independent of the others, never throws,
 * returns its line or lines. The list of checks is in list.ts.
 */
export type Check = (ctx: CheckContext) => Promise<CheckLine | readonly CheckLine[]>;

export function formatLine(line: CheckLine): string {
  return line.ok ? `OK ${line.what}` : `FAIL ${line.what}: ${line.why ?? 'failed'} — ${line.fix ?? 'see the log'}`;
}

export class CheckTimeout extends Error {}

/** Runs `probe` within `ms`; a late answer is a failure with the deadline as the reason. */
export async function withDeadline<T>(ms: number, probe: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new CheckTimeout(`no answer within ${(ms / 1000).toFixed(1)} s`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([probe(controller.signal), late]);
  } finally {
    clearTimeout(timer);
  }
}

const fail = (what: string, error: unknown, fix: string): CheckLine => ({ ok: false, what, why: oneLine(error), fix });

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export interface CheckContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly openstack?: OpenStackOptions;
}

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

async function checkRole(ctx: CheckContext, client: FreeIpaClient): Promise<CheckLine> {
  const what = `FreeIPA role "${ROLE}" has privilege "${PRIVILEGE}" with its permissions`;
  const fix = 'run `novajoin ipa-setup` (as a FreeIPA administrator)';
  const principal = ctx.config.freeipa.principal;
  try {
    return await withDeadline(ctx.timeoutMs, async (): Promise<CheckLine> => {
      const deadline = Date.now() + ctx.timeoutMs;
      let role: Record<string, unknown>;
      try {
        role = (await client.call(roleShow(ROLE), { deadline })).result;
      } catch (error) {
        // Reading roles takes FreeIPA's "RBAC Readers"; without it the role
        // looks absent. The principal's own entry still says which roles it is in.
        if (error instanceof NotFoundError || error instanceof ACIError) return membershipOnly(client, principal, deadline, what, fix);
        throw error;
      }
      const privileges = lower(role['memberof_privilege']);
      if (!privileges.includes(PRIVILEGE.toLowerCase())) return { ok: false, what, why: `the role lacks the privilege (has: ${privileges.join(', ') || 'none'})`, fix };
      if (principal && !lower(role['member_service']).includes(principal.toLowerCase())) {
        return { ok: false, what, why: `${principal} is not a member of the role`, fix };
      }
      let privilege: Record<string, unknown>;
      try {
        privilege = (await client.call(privilegeShow(PRIVILEGE), { deadline })).result;
      } catch (error) {
        if (error instanceof NotFoundError || error instanceof ACIError) return { ok: true, what: `FreeIPA role "${ROLE}" has privilege "${PRIVILEGE}" (its permissions are not readable from here)` };
        throw error;
      }
      const held = new Set(lower(privilege['memberof_permission']));
      const missing = [...PERMISSIONS.map((p) => p.name), ...SYSTEM_PERMISSIONS].filter((p) => !held.has(p.toLowerCase()));
      if (missing.length) return { ok: false, what, why: `the privilege lacks ${missing.join(', ')}`, fix };
      return { ok: true, what };
    });
  } catch (error) {
    return fail(what, error, error instanceof FreeIpaError ? fix : 'check that FreeIPA is up');
  }
}

/** When the role cannot be read: the principal's own memberof_role ("System: Read Services" lets anyone read it). */
async function membershipOnly(client: FreeIpaClient, principal: string, deadline: number, what: string, fix: string): Promise<CheckLine> {
  if (!principal) {
    return { ok: false, what, why: `FreeIPA shows no role "${ROLE}" (missing, or not readable by this principal)`, fix: `${fix}; or set [freeipa] principal so that check can read the principal's own roles` };
  }
  let roles: string[];
  try {
    roles = lower((await client.call(serviceShow(principal), { deadline })).result['memberof_role']);
  } catch (error) {
    if (error instanceof NotFoundError) return { ok: false, what, why: `FreeIPA has neither a readable role "${ROLE}" nor the service ${principal}`, fix };
    throw error;
  }
  if (!roles.includes(ROLE.toLowerCase())) {
    return { ok: false, what, why: `FreeIPA shows no role "${ROLE}" and ${principal} is not in one by that name`, fix };
  }
  return missingRights(client, principal, deadline, what);
}

/**
 * What the principal itself holds: raw, its memberOf lists every role,
 * privilege and permission it reaches (389-ds's memberOf plugin follows the
 * nesting), and every authenticated bind may read it. Each missing piece is
 * named with the `ipa` command that adds it.
 */
async function missingRights(client: FreeIpaClient, principal: string, deadline: number, what: string): Promise<CheckLine> {
  const raw = (await client.call(serviceShow(principal, { all: true, raw: true }), { deadline })).result;
  const groups = lower(raw['memberof']).map((dn) => /^cn=([^,]+),cn=(privileges|permissions),cn=pbac,/i.exec(dn)).filter((m) => m !== null);
  const privileges = new Set(groups.filter((m) => m[2] === 'privileges').map((m) => m[1]));
  const permissions = new Set(groups.filter((m) => m[2] === 'permissions').map((m) => m[1]));
  if (!privileges.has(PRIVILEGE.toLowerCase())) {
    return { ok: false, what, why: `${principal} does not hold privilege "${PRIVILEGE}"`, fix: `ipa role-add-privilege "${ROLE}" --privileges="${PRIVILEGE}"` };
  }
  const missing = [...PERMISSIONS.map((p) => p.name), ...SYSTEM_PERMISSIONS].filter((p) => !permissions.has(p.toLowerCase()));
  if (missing.length) {
    return {
      ok: false,
      what,
      why: `${principal} lacks ${missing.map((p) => `"${p}"`).join(', ')}`,
      fix: missing.map((p) => `ipa privilege-add-permission "${PRIVILEGE}" --permissions="${p}"`).join('; '),
    };
  }
  return { ok: true, what: `${what} (as ${principal} holds them)` };
}

function lower(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => String(v).toLowerCase());
}

/** Keystone, Nova and Glance: three lines over one service session. */
export async function checkOpenStack(ctx: CheckContext): Promise<CheckLine[]> {
  const { config } = ctx;
  const creds = config.serviceCredentials;
  const keystone = `Keystone ${creds.authUrl || '(no [service_credentials] auth_url)'} as ${creds.username}`;
  let openstack: OpenStack;
  try {
    openstack = openStackFromConfig(config, ctx.logger, ctx.openstack);
  } catch (error) {
    return [fail(keystone, error, 'check [service_credentials]')];
  }
  const novaWhat = 'Nova lists the servers of all projects';
  const glanceWhat = 'Glance answers image reads';
  if (!creds.authUrl) {
    const why = 'not checked: no Keystone to get a token from';
    return [
      { ok: false, what: keystone, why: '[service_credentials] auth_url is not set', fix: 'set [service_credentials] auth_url, e.g. http://keystone:5000/v3' },
      { ok: false, what: novaWhat, why, fix: 'fix the Keystone line first' },
      { ok: false, what: glanceWhat, why, fix: 'fix the Keystone line first' },
    ];
  }
  // Nova and Glance need the token: when Keystone fails, they were not checked, and saying why they "failed" would mislead.
  try {
    await withDeadline(ctx.timeoutMs, (signal) => openstack.serviceSession.token(signal));
  } catch (error) {
    const fix =
      error instanceof ServiceCredentialsRefused
        ? 'check [service_credentials] username, password, user_domain_name and project_name'
        : 'check [service_credentials] auth_url and that Keystone is up and reachable from here';
    const why = 'not checked: Keystone gave no token';
    return [fail(keystone, error, fix), { ok: false, what: novaWhat, why, fix: 'fix the Keystone line first' }, { ok: false, what: glanceWhat, why, fix: 'fix the Keystone line first' }];
  }
  const novaLine = withDeadline(ctx.timeoutMs, async (signal) => {
    for await (const page of openstack.servers.pages({ pageSize: 1, signal })) {
      void page;
      break;
    }
  }).then(
    (): CheckLine => ({ ok: true, what: novaWhat }),
    (error) => fail(novaWhat, error, openStackFix(error, 'compute', 'give the [service_credentials] user the admin role (novajoin lists the servers of all projects)')),
  );
  // The read novajoin makes, for an id no image has: 404 (null) is a healthy answer.
  const glanceLine = withDeadline(ctx.timeoutMs, (signal) => openstack.images.image(randomUUID(), signal)).then(
    (): CheckLine => ({ ok: true, what: glanceWhat }),
    (error) => fail(glanceWhat, error, openStackFix(error, 'image', 'give the [service_credentials] user read access to images')),
  );
  return Promise.all([{ ok: true, what: keystone }, novaLine, glanceLine]);
}

/** The fix for a Nova or Glance failure, by its cause: rights only when the service said 403. */
function openStackFix(error: unknown, type: string, forbidden: string): string {
  if (error instanceof EndpointNotFound) return `add a ${type} endpoint to the catalog, or fix [service_credentials] interface and region_name`;
  if (error instanceof UnexpectedResponse && error.httpStatus === 403) return forbidden;
  if (error instanceof CheckTimeout) return `check that the ${type} endpoint of the catalog is reachable from here`;
  return `check the ${type} endpoint of the catalog ([service_credentials] interface, region_name) and that the service is up`;
}

export async function checkRabbit(ctx: CheckContext): Promise<CheckLine> {
  let endpoints;
  try {
    endpoints = parseTransportUrl(ctx.config.notifications.transportUrl, loadBrokerTls(ctx.config.notifications.tls));
  } catch (error) {
    return fail('RabbitMQ', error, 'fix [DEFAULT] transport_url');
  }
  const what = `RabbitMQ ${endpoints.map((e) => e.display).join(', ')}`;
  const errors: string[] = [];
  for (const endpoint of endpoints) {
    try {
      await withDeadline(ctx.timeoutMs, async () => {
        const model = await connect({ ...endpoint.options, heartbeat: 0 }, { ...endpoint.socket, timeout: ctx.timeoutMs, clientProperties: { connection_name: 'novajoin check' } });
        model.on('error', () => undefined);
        await model.close();
      });
      return { ok: true, what };
    } catch (error) {
      errors.push(`${endpoint.display}: ${oneLine(error)}`);
    }
  }
  return { ok: false, what, why: errors.join('; '), fix: 'check [DEFAULT] transport_url (host, port, user, password, vhost) and that RabbitMQ is up' };
}

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

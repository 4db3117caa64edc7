/**
 * The OpenStack lines of `novajoin check`: a Keystone token for the service,
 * then the Nova and Glance reads novajoin makes with it.
 */
import { randomUUID } from 'node:crypto';
import { EndpointNotFound, ServiceCredentialsRefused, UnexpectedResponse } from '../openstack/errors.js';
import { openStackFromConfig, type OpenStack } from '../openstack/index.js';
import { CheckTimeout, fail, withDeadline, type CheckContext, type CheckLine } from './checks.js';

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

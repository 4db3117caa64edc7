/**
 * A tenant names its instance and its service principals (issue 11, items 1
 * and 4): through POST /v1 with the test Keystone and the test FreeIPA, a
 * name outside our domain, outside the project's own names, or outside the
 * project's allowed_service_domains gets nothing created, and the host
 * still enrolls.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { RunningServer } from '../src/server/start.js';
import { startNovajoinEnv, type NovajoinEnv } from './support/novajoin-env.js';

let env: NovajoinEnv;
let flat: RunningServer;
let bySubdomain: RunningServer;
const alpha = `alpha-${randomUUID().slice(0, 6)}`;
const beta = `beta-${randomUUID().slice(0, 6)}`;
const projects: Record<string, string> = {};

test.before(async () => {
  env = await startNovajoinEnv();
  projects[alpha] = env.openstack.addProject(alpha).id;
  projects[beta] = env.openstack.addProject(beta).id;
  const demo = env.openstack.projects.demo.name;
  const admin = env.openstack.projects.admin.name;
  flat = await env.startServer(
    await env.config(`[${demo}]\nallowed_services = HTTP, haproxy\n[${admin}]\nallowed_services = *\nallowed_service_domains = vip.example.test`),
  );
  bySubdomain = await env.startServer(
    await env.config(`[DEFAULT]\nproject_subdomain = True\n[${alpha}]\nallowed_services = *\n[${beta}]\nallowed_services = *`),
  );
});

test.after.always(async () => {
  await env?.stop();
});

async function post(server: RunningServer, projectId: string, hostname: string, metadata: Record<string, string>) {
  const res = await fetch(`${server.url}/v1/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Token': env.novaToken() },
    body: JSON.stringify({ 'project-id': projectId, 'instance-id': randomUUID(), 'image-id': '', hostname, metadata }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const refusedCount = async (server: RunningServer) =>
  Number(/novajoin_service_requests_refused_total (\d+)/.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? 0);
const short = () => `vm-${randomUUID().slice(0, 8)}`;

test.serial('a principal for a name outside the domain is refused, counted, and nothing is created for it; the host enrolls', async (t) => {
  const before = await refusedCount(flat);
  const name = short();
  const res = await post(flat, env.openstack.projects.demo.id, name, { ipa_enroll: 'True', managed_service_web: 'HTTP/www.bank.example.com' });
  t.is(res.status, 200);
  t.regex(res.body['ipaotp'], /^[0-9a-f]{40}$/, 'the host still gets its OTP');
  t.truthy(await env.ipa.emulator.getHost(`${name}.example.test`));
  t.is(await env.ipa.emulator.getHost('www.bank.example.com'), null);
  t.is(await env.ipa.emulator.getService('HTTP/www.bank.example.com@EXAMPLE.TEST'), null);
  t.is(await refusedCount(flat), before + 1);
});

test.serial('allowed_service_domains: a service host under it is created, an unused name elsewhere in the domain is not', async (t) => {
  const admin = env.openstack.projects.admin.id;
  const res = await post(flat, admin, short(), {
    ipa_enroll: 'True',
    managed_service_ok: 'haproxy/lb1.vip.example.test',
    managed_service_grab: 'HTTP/mail.example.test',
  });
  t.is(res.status, 200);
  t.truthy(await env.ipa.emulator.getService('haproxy/lb1.vip.example.test@EXAMPLE.TEST'));
  t.is(await env.ipa.emulator.getHost('mail.example.test'), null);
  t.is(await env.ipa.emulator.getService('HTTP/mail.example.test@EXAMPLE.TEST'), null);
  const own = await post(flat, admin, 'own-host', { ipa_enroll: 'True', managed_service_self: 'HTTP/own-host.example.test' });
  t.is(own.status, 200);
  t.truthy(await env.ipa.emulator.getService('HTTP/own-host.example.test@EXAMPLE.TEST'), "the instance's own host is always allowed");
});

test.serial("with project names: a principal in another project's subdomain is refused, one in its own is created", async (t) => {
  const res = await post(bySubdomain, projects[alpha]!, short(), {
    ipa_enroll: 'True',
    managed_service_mine: `HTTP/api.${alpha}.example.test`,
    managed_service_theirs: `HTTP/api.${beta}.example.test`,
    managed_service_top: 'HTTP/api.example.test',
  });
  t.is(res.status, 200);
  t.truthy(await env.ipa.emulator.getService(`HTTP/api.${alpha}.example.test@EXAMPLE.TEST`));
  t.is(await env.ipa.emulator.getHost(`api.${beta}.example.test`), null);
  t.is(await env.ipa.emulator.getHost('api.example.test'), null);
});

test.serial("with project names: an FQDN hostname in another project's namespace is a 400, and that project's own instance keeps the name", async (t) => {
  const name = short();
  const intruder = await post(bySubdomain, projects[alpha]!, `${name}.${beta}.example.test`, { ipa_enroll: 'True' });
  t.is(intruder.status, 400);
  t.is(intruder.body['error']?.field, 'hostname');
  t.is(await env.ipa.emulator.getHost(`${name}.${beta}.example.test`), null);
  const owner = await post(bySubdomain, projects[beta]!, name, { ipa_enroll: 'True' });
  t.is(owner.status, 200);
  t.is(owner.body['hostname'], `${name}.${beta}.example.test`);
  const own = await post(bySubdomain, projects[alpha]!, `${name}.${alpha}.example.test`, { ipa_enroll: 'True' });
  t.is(own.status, 200, 'an FQDN in its own namespace is kept');
});

test.serial("with project names: compact subhosts live under the instance's own domain, so two projects' same names do not collide", async (t) => {
  const name = short();
  const metadata = { ipa_enroll: 'True', compact_service_HTTP: '["ctlplane"]' };
  t.is((await post(bySubdomain, projects[alpha]!, name, metadata)).status, 200);
  t.is((await post(bySubdomain, projects[beta]!, name, metadata)).status, 200);
  for (const project of [alpha, beta]) {
    t.truthy(await env.ipa.emulator.getService(`HTTP/${name}.ctlplane.${project}.example.test@EXAMPLE.TEST`), `${project}'s compact service`);
  }
  t.is(await env.ipa.emulator.getHost(`${name}.ctlplane.example.test`), null);
});

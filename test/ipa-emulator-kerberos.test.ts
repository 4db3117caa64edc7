/**
 * The emulator as the test stack runs it: HTTPS with a test CA, SPNEGO
 * accepted through a real MIT KDC (tokens made from the client keytab with
 * the `kerberos` package), password logins checked against the KDC, entries
 * in a real 389 Directory Server, writes limited to the service principal and admin.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import kerberos from 'kerberos';
import { Client, InvalidCredentialsError } from 'ldapts';
import { EnrollmentError } from '../src/ipa-emulator/index.js';
import { rawRequest, startIpaStack, type IpaStack, type RawResponse } from './support/ipa-stack.js';

let stack: IpaStack;
let ca: Buffer;
let referer: string;

test.before(async () => {
  stack = await startIpaStack();
  ca = await readFile(stack.caFile);
  referer = `https://${stack.serverName}/ipa/xml`;
  // The client side of Kerberos in this process: its keytab and a private credential cache.
  for (const [k, v] of Object.entries(stack.env)) process.env[k] = v;
});

test.after.always(async () => {
  await stack?.stop();
});

function request(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {}): Promise<RawResponse> {
  return rawRequest(`https://${stack.serverName}:${stack.port}${path}`, {
    method: opts.method ?? 'POST',
    lookup: stack.lookup,
    ca: opts.ca ?? ca,
    headers: { Referer: referer, ...opts.headers },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
}

async function spnegoToken(): Promise<string> {
  const client = await kerberos.initializeClient(`HTTP@${stack.serverName}`, { mechOID: kerberos.GSS_MECH_OID_SPNEGO });
  return client.step('');
}

async function passwordLogin(user: string, password: string): Promise<RawResponse> {
  return request('/ipa/session/login_password', {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user, password }).toString(),
  });
}

const cookieOf = (res: RawResponse) => (res.headers['set-cookie']?.[0] ?? '').split(';')[0] as string;

async function sessionCall(cookie: string, method: string, args: unknown[] = [], options: Record<string, unknown> = {}) {
  const res = await request('/ipa/session/json', {
    headers: { 'Content-Type': 'application/json', Cookie: cookie },
    body: JSON.stringify({ method, params: [args, { version: '2.251', ...options }], id: 0 }),
  });
  return { res, json: res.status === 200 ? JSON.parse(res.body) : null };
}

test('HTTPS verifies against the test CA and fails against another CA', async (t) => {
  const ok = await passwordLogin('admin', stack.adminPassword);
  t.is(ok.status, 200);
  const other = await readFile(stack.otherCaFile);
  const err = await t.throwsAsync(request('/ipa/session/login_password', { ca: other, body: '' }));
  t.regex(String((err as NodeJS.ErrnoException).code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
});

test('password login is checked by the KDC: admin gets a session, a wrong password gets 401', async (t) => {
  const ok = await passwordLogin('admin', stack.adminPassword);
  t.is(ok.status, 200);
  const { json } = await sessionCall(cookieOf(ok), 'ping');
  t.is(json.principal, `admin@${stack.realm}`);
  const full = await passwordLogin(`admin@${stack.realm}`, stack.adminPassword);
  t.is(full.status, 200);
  const bad = await passwordLogin('admin', 'not-the-password');
  t.is(bad.status, 401);
  t.is(bad.headers['x-ipa-rejection-reason'], 'invalid-password');
});

test('login_kerberos with a real SPNEGO token from the client keytab gives a session for the service principal', async (t) => {
  const token = await spnegoToken();
  const res = await request('/ipa/session/login_kerberos', { method: 'GET', headers: { Authorization: `Negotiate ${token}` } });
  t.is(res.status, 200);
  t.regex(res.headers['set-cookie']?.[0] ?? '', /^ipa_session=MagBearerToken=[^;]+; path=\/ipa; httponly; secure$/);
  const { json } = await sessionCall(cookieOf(res), 'ping');
  t.is(json.principal, stack.clientPrincipal);
  t.is(json.error, null);
});

test('/ipa/json takes Negotiate on each request (and hands out a session); bad or missing credentials get 401', async (t) => {
  const body = JSON.stringify({ method: 'ping', params: [[], { version: '2.251' }], id: 3 });
  const res = await request('/ipa/json', { headers: { 'Content-Type': 'application/json', Authorization: `negotiate ${await spnegoToken()}` }, body });
  t.is(res.status, 200);
  const json = JSON.parse(res.body);
  t.is(json.principal, stack.clientPrincipal);
  t.is(json.id, 3);
  t.truthy(res.headers['set-cookie']);

  const garbage = await request('/ipa/json', { headers: { 'Content-Type': 'application/json', Authorization: 'Negotiate YWJjZGVmZ2hpams=' }, body });
  t.is(garbage.status, 401);
  t.is(garbage.headers['www-authenticate'], 'Negotiate');
  const none = await request('/ipa/json', { headers: { 'Content-Type': 'application/json' }, body });
  t.is(none.status, 401);
});

test('writes are for the service principal and admin: another principal gets ACIError 2100, reads still work', async (t) => {
  const login = await passwordLogin('auditor', stack.readOnlyPassword);
  t.is(login.status, 200);
  const cookie = cookieOf(login);
  const write = await sessionCall(cookie, 'host_add', ['aci1.example.test'], { force: true });
  t.is(write.json.error.code, 2100);
  t.is(write.json.error.name, 'ACIError');
  t.true(write.json.error.message.startsWith('Insufficient access: '));
  const read = await sessionCall(cookie, 'host_find', ['aci1']);
  t.is(read.json.result.count, 0);
});

test.serial('an expired or invalidated session is 401; logging in again works', async (t) => {
  const first = cookieOf(await passwordLogin('admin', stack.adminPassword));
  t.is((await sessionCall(first, 'ping')).res.status, 200);
  stack.emulator.expireSessions();
  const expired = await sessionCall(first, 'ping');
  t.is(expired.res.status, 401);
  t.is(expired.res.headers['www-authenticate'], 'Negotiate');
  const token = await spnegoToken();
  const relogin = await request('/ipa/session/login_kerberos', { method: 'GET', headers: { Authorization: `Negotiate ${token}` } });
  t.is((await sessionCall(cookieOf(relogin), 'ping')).res.status, 200);
});

test('entries live in 389-ds, and enrollment binds to 389-ds as the host with the OTP', async (t) => {
  const login = await passwordLogin('admin', stack.adminPassword);
  const cookie = cookieOf(login);
  const fqdn = 'ldap1.example.test';
  const otp = 'Bulk-Enrollment-1';
  const add = await sessionCall(cookie, 'host_add', [fqdn], { force: true, userpassword: otp });
  t.is(add.json.error, null);
  const dirsrv = stack.dirsrv;
  if (!dirsrv) return t.fail('the default stack keeps entries in 389-ds');
  const hostDn = `fqdn=${fqdn},cn=computers,cn=accounts,${stack.suffix}`;

  const root = new Client({ url: dirsrv.url, timeout: 5000, connectTimeout: 5000 });
  try {
    await root.bind(dirsrv.rootDn, dirsrv.rootPassword);
    const { searchEntries } = await root.search(hostDn, { scope: 'base', attributes: ['fqdn', 'krbPrincipalName', 'objectClass'] });
    t.deepEqual(searchEntries[0]?.fqdn, fqdn);
    t.deepEqual(searchEntries[0]?.krbPrincipalName ?? [], [], 'no principal before enrollment');
  } finally {
    await root.unbind();
  }
  const asHost = async (password: string) => {
    const c = new Client({ url: dirsrv.url, timeout: 5000, connectTimeout: 5000 });
    try {
      await c.bind(hostDn, password);
      return true;
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return false;
      throw err;
    } finally {
      await c.unbind();
    }
  };
  t.true(await asHost(otp));
  await stack.emulator.simulateEnrollment(fqdn, otp);
  t.false(await asHost(otp), 'the OTP went with enrollment');
  const again = await t.throwsAsync(stack.emulator.simulateEnrollment(fqdn, otp), { instanceOf: EnrollmentError });
  t.is(again?.reason, 'incorrect-password');
  const shown = await sessionCall(cookie, 'host_show', [fqdn]);
  t.true(shown.json.result.result.has_keytab);
});

test('the system account reads hosts from 389-ds (paged) but never their OTP', async (t) => {
  const login = await passwordLogin('admin', stack.adminPassword);
  const add = await sessionCall(cookieOf(login), 'host_add', ['sys1.example.test'], { force: true, userpassword: 'Secret-otp-9', description: 'novajoin:v1 test' });
  t.is(add.json.error, null);
  const ldap = stack.ldap;
  if (!ldap) return t.fail('the default stack has LDAP access');
  const client = new Client({ url: ldap.url, timeout: 5000, connectTimeout: 5000 });
  try {
    await client.bind(ldap.bindDn, ldap.bindPassword);
    const { searchEntries } = await client.search(`cn=computers,cn=accounts,${stack.suffix}`, {
      scope: 'one',
      filter: '(fqdn=sys1.example.test)',
      attributes: ['fqdn', 'description', 'userPassword'],
      paged: { pageSize: 50 },
    });
    t.is(searchEntries.length, 1);
    t.is(searchEntries[0]?.description, 'novajoin:v1 test');
    t.deepEqual(searchEntries[0]?.userPassword ?? [], []);
  } finally {
    await client.unbind();
  }
});

/**
 * The whole test FreeIPA: a real MIT KDC (realm EXAMPLE.TEST), a real 389 Directory Server
 * with FreeIPA's tree (or the memory store), and the emulator over HTTPS with
 * a test CA, named ipa.example.test but listening on 127.0.0.1:<free port>.
 *
 * Kerberos: the emulator accepts SPNEGO for HTTP/ipa.example.test with a
 * keytab from the KDC, and checks passwords against the KDC. The client side
 * gets nova/novajoin.example.test's keytab (`clientKeytab`) and the
 * environment to use it (`env`). MIT Kerberos reads KRB5_CONFIG/KRB5_KTNAME
 * from the process environment, so only one stack may run per process (ava
 * runs each test file in its own process: start one in `test.before`).
 *
 * Clients connect to 127.0.0.1 but must say ipa.example.test for TLS,
 * Host and Referer: `lookup` resolves that name for them.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { request as httpRequestRaw, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import { join } from 'node:path';
import type { FreeIpaClientOptions } from '../../src/freeipa/client.js';
import { CertificateAuthority } from '../../src/ipa-emulator/ca/authority.js';
import { makeEnv, seedEntries, type IpaEnv } from '../../src/ipa-emulator/layout.js';
import { kerberosAuthenticators } from '../../src/ipa-emulator/kerberos-auth.js';
import { startIpaEmulator, type IpaEmulator } from '../../src/ipa-emulator/server.js';
import { MemoryStore } from '../../src/ipa-emulator/memory-store.js';
import type { IpaStore } from '../../src/ipa-emulator/store.js';
import { ensureEntries, LdapStore } from './dirsrv-store.js';
import { FreeIpaClient } from '../../src/freeipa/client.js';
import { ensureRbac } from '../../src/setup/rbac.js';
import { startKdc, type Kdc } from './kdc.js';
import { startDirSrv, type DirSrv } from './dirsrv.js';
import { makeTestCa } from './tls.js';
import { makeTempDir, removeDir } from './tmp.js';

export interface IpaStackOptions {
  /** Delay added to every HTTP request of the emulator. */
  latencyMs?: number;
  /** KDC ticket lifetime (MIT duration, e.g. '1m'); default '10h'. */
  maxTicketLife?: string;
  /** Cookie session lifetime; default the ticket life (FreeIPA's sessions end with the credentials), else 24 h. */
  sessionLifetimeMs?: number;
  /** Where entries live: the real 389-ds (default) or memory. */
  store?: 'ldap' | 'memory';
  /**
   * With the memory store (which has no access control): principals allowed
   * to write, default the client principal and admin. With 389-ds the
   * directory decides: the client principal holds the role `novajoin
   * ipa-setup` creates, admin everything, the auditor nothing.
   */
  writers?: string[];
  /** Run FreeIPA with its CA (the default, as TLS-everywhere deployments do), or without one (ca_enabled false). */
  ca?: boolean;
  /** FQDNs of more FreeIPA servers (replicas) `startReplica` may start: each gets its HTTP/ principal and a name in the certificate. */
  replicas?: readonly string[];
  /** Run ipa-setup's role steps as admin when the stack starts (389-ds only); default true. */
  setupRole?: boolean;
}

/** LDAP access for inventory reads, as a FreeIPA system account (uid=novajoin,cn=sysaccounts,cn=etc). */
export interface StackLdap {
  readonly url: string;
  readonly ldapsUrl: string;
  /** The CA of 389-ds's certificate (StartTLS and ldaps). */
  readonly caFile: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  /** ldap://ipa.example.test:<port>: the name GSSAPI binds need (ldap/ipa.example.test is in 389-ds's keytab). */
  readonly urlByName: string;
}

export type LookupFn = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

export interface IpaStack {
  readonly serverName: string;
  readonly port: number;
  /** https://ipa.example.test:<port>/ipa */
  readonly url: string;
  /** PEM of the CA that signed the emulator's certificate. */
  readonly caFile: string;
  /** PEM of an unrelated CA (verification must fail with it). */
  readonly otherCaFile: string;
  /** The servers' certificate and key (one certificate names the server and every replica). */
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA's key, for issuing host and service certificates as FreeIPA's CA would (test/support/certs.ts). */
  readonly caKeyFile: string;
  readonly realm: string;
  readonly domain: string;
  readonly suffix: string;
  /** Keytab of `clientPrincipal`, for the service's Kerberos login. */
  readonly clientKeytab: string;
  /** nova/novajoin.example.test@EXAMPLE.TEST */
  readonly clientPrincipal: string;
  /** Password of admin@EXAMPLE.TEST (login_password). */
  readonly adminPassword: string;
  /** A principal that may log in but not write (ACIError), and its password. */
  readonly readOnlyPrincipal: string;
  readonly readOnlyPassword: string;
  readonly kdc: Kdc;
  /** null with the memory store. */
  readonly dirsrv: DirSrv | null;
  /** A system account's LDAP access to the same entries; null with the memory store. */
  readonly ldap: StackLdap | null;
  readonly emulator: IpaEmulator;
  /** Realm, domain, suffix, versions as the emulator has them. */
  readonly ipaEnv: IpaEnv;
  /** dns.lookup-compatible: ipa.example.test -> 127.0.0.1, anything else as usual. */
  readonly lookup: LookupFn;
  /** Runs `novajoin ipa-setup`'s RBAC steps again as admin: puts back a role, privilege or permission a test removed. */
  ensureRole(): Promise<void>;
  /** For the Kerberos client in this process: KRB5_CONFIG, KRB5_CLIENT_KTNAME, KRB5CCNAME (a private ccache). */
  readonly env: Record<string, string>;
  /**
   * One more FreeIPA server on the same entries (as replicas share their
   * data), named `name` (one of the `replicas` option): its own HTTPS
   * listener, sessions and counters. Stopped with the stack.
   */
  startReplica(name: string, listen?: { host?: string; port?: number }): Promise<IpaEmulator>;
  stop(): Promise<void>;
}

let active = false;

/** An MIT duration ('10h', '1m30s', '90', '1:30') in milliseconds. */
export function durationMs(value: string): number {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (clock) return ((Number(clock[1]) * 60 + Number(clock[2])) * 60 + Number(clock[3] ?? 0)) * 1000;
  const unit: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  let total = 0;
  for (const m of value.matchAll(/(\d+)([dhms])/g)) total += Number(m[1]) * (unit[m[2] as string] ?? 0);
  if (!total) throw new Error(`bad duration: ${value}`);
  return total;
}

export function makeLookup(serverName: string, address = '127.0.0.1'): LookupFn {
  return (hostname, options, callback) => {
    if (hostname.toLowerCase() === serverName) {
      if (options.all) callback(null, [{ address, family: 4 }]);
      else callback(null, address, 4);
      return;
    }
    dnsLookup(hostname, options, callback as never);
  };
}

export async function startIpaStack(opts: IpaStackOptions = {}): Promise<IpaStack> {
  if (active) throw new Error('one IPA stack per process: MIT Kerberos reads KRB5_CONFIG/KRB5_KTNAME from the environment');
  active = true;
  const realm = 'EXAMPLE.TEST';
  const domain = 'example.test';
  const serverName = `ipa.${domain}`;
  const clientPrincipal = `nova/novajoin.${domain}@${realm}`;
  const adminPassword = `Admin-${Math.random().toString(36).slice(2)}-pw`;
  const readOnlyPrincipal = `auditor@${realm}`;
  const readOnlyPassword = `Auditor-${Math.random().toString(36).slice(2)}-pw`;
  const saved = { KRB5_CONFIG: process.env.KRB5_CONFIG, KRB5_KTNAME: process.env.KRB5_KTNAME, KRB5RCACHEDIR: process.env.KRB5RCACHEDIR };
  const dir = await makeTempDir('novajoin-ipa-stack');
  let kdc: Kdc | undefined;
  let dirsrv: DirSrv | null = null;
  let emulator: IpaEmulator | undefined;
  const restoreEnv = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  try {
    kdc = await startKdc({ realm, ...(opts.maxTicketLife ? { maxTicketLife: opts.maxTicketLife } : {}) });
    const replicaNames = (opts.replicas ?? []).map((n) => n.toLowerCase());
    for (const name of [serverName, ...replicaNames]) await kdc.addPrincipal(`HTTP/${name}`);
    await kdc.addPrincipal(clientPrincipal);
    await kdc.addPrincipal(`ldap/${serverName}`);
    await kdc.addPrincipal('admin', { password: adminPassword });
    await kdc.addPrincipal('auditor', { password: readOnlyPassword });
    const httpKeytab = await kdc.keytab([serverName, ...replicaNames].map((n) => `HTTP/${n}`), join(dir, 'http.keytab'));
    const clientKeytab = await kdc.keytab([clientPrincipal], join(dir, 'nova.keytab'));
    // The acceptor (in this process) finds its keytab and the KDC through the environment.
    process.env.KRB5_CONFIG = kdc.krb5Conf;
    process.env.KRB5_KTNAME = `FILE:${httpKeytab}`;
    process.env.KRB5RCACHEDIR = dir;

    const tls = await makeTestCa(dir, [serverName, ...replicaNames]);
    const env = makeEnv({ realm, domain, serverName });
    let store: IpaStore;
    let ldapAccess: StackLdap | null = null;
    if ((opts.store ?? 'ldap') === 'ldap') {
      const ldapKeytab = await kdc.keytab([`ldap/${serverName}`], join(dir, 'ldap.keytab'));
      dirsrv = await startDirSrv({ domain, realm, kerberos: { keytab: ldapKeytab, krb5Conf: kdc.krb5Conf } });
      const ldap = new LdapStore({ url: dirsrv.url, bindDn: dirsrv.rootDn, bindPassword: dirsrv.rootPassword });
      const bindDn = `uid=novajoin,cn=sysaccounts,cn=etc,${env.suffix}`;
      const bindPassword = `Sysaccount-${Math.random().toString(36).slice(2)}-pw`;
      await ensureEntries(ldap, [
        ...seedEntries(env),
        { dn: `cn=sysaccounts,cn=etc,${env.suffix}`, attrs: { objectclass: ['top', 'nsContainer'], cn: ['sysaccounts'] } },
        { dn: bindDn, attrs: { objectclass: ['account', 'simpleSecurityObject'], uid: ['novajoin'], userpassword: [bindPassword] } },
        // A user with no role: may log in, reads what every authenticated bind reads, writes nothing.
        {
          dn: `uid=auditor,cn=users,cn=accounts,${env.suffix}`,
          attrs: {
            objectclass: ['top', 'person', 'inetorgperson', 'krbprincipalaux'],
            uid: ['auditor'], cn: ['Auditor'], sn: ['Auditor'], krbprincipalname: [readOnlyPrincipal],
          },
        },
      ]);
      store = ldap;
      ldapAccess = { url: dirsrv.url, ldapsUrl: dirsrv.ldapsUrl, caFile: dirsrv.caFile, bindDn, bindPassword, urlByName: dirsrv.url.replace('127.0.0.1', serverName) };
    } else {
      store = new MemoryStore(seedEntries(env));
    }
    const cert = { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
    const sharedStore = store;
    // One CA for every server of the stack, as FreeIPA's replicas share Dogtag's records.
    const sharedCa = opts.ca !== false ? new CertificateAuthority(await readFile(tls.caFile)) : null;
    // Every server of the stack runs with the same options but its own name.
    const emulatorOptions = (name: string, storeOf: IpaStore) => ({
      env: name === serverName ? env : makeEnv({ realm, domain, serverName: name }),
      store: storeOf,
      authenticators: kerberosAuthenticators(name, realm),
      tls: cert,
      ...(dirsrv ? {} : { writers: opts.writers ?? [clientPrincipal, `admin@${realm}`] }),
      ...(sharedCa ? { caCertificate: sharedCa } : {}),
      ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
      sessionLifetimeMs: opts.sessionLifetimeMs ?? (opts.maxTicketLife ? durationMs(opts.maxTicketLife) : 24 * 3600 * 1000),
    });
    emulator = await startIpaEmulator(emulatorOptions(serverName, sharedStore));
    const replicas: IpaEmulator[] = [];
    const emu = emulator;
    const roleSetup = { url: `https://${serverName}:${emu.port}/ipa`, serverName, caFile: tls.caFile, adminPassword, clientPrincipal, domain };
    if (dirsrv && opts.setupRole !== false) await setupRole(emu, roleSetup);
    const k = kdc;
    const s = dirsrv;
    return {
      serverName,
      port: emu.port,
      url: `https://${serverName}:${emu.port}/ipa`,
      caFile: tls.caFile,
      otherCaFile: tls.otherCaFile,
      certFile: tls.certFile,
      keyFile: tls.keyFile,
      caKeyFile: tls.caKeyFile,
      realm,
      domain,
      suffix: env.suffix,
      clientKeytab,
      clientPrincipal,
      adminPassword,
      readOnlyPrincipal,
      readOnlyPassword,
      kdc: k,
      dirsrv: s,
      ldap: ldapAccess,
      emulator: emu,
      ipaEnv: env,
      lookup: makeLookup(serverName),
      ensureRole: () => ensureRole(roleSetup),
      env: { KRB5_CONFIG: k.krb5Conf, KRB5_CLIENT_KTNAME: `FILE:${clientKeytab}`, KRB5CCNAME: `FILE:${join(dir, 'client.ccache')}` },
      async startReplica(name, listen = {}) {
        if (!replicaNames.includes(name.toLowerCase())) throw new Error(`${name} is not in the stack's replicas option`);
        const replica = await startIpaEmulator({ ...emulatorOptions(name.toLowerCase(), unclosable(sharedStore)), ...listen });
        replicas.push(replica);
        return replica;
      },
      async stop() {
        try {
          for (const replica of replicas) await replica.close().catch(() => {});
          await emu.close();
          await s?.stop();
          await k.stop();
        } finally {
          restoreEnv();
          await removeDir(dir);
          active = false;
        }
      },
    };
  } catch (err) {
    await emulator?.close().catch(() => {});
    await dirsrv?.stop().catch(() => {});
    await kdc?.stop().catch(() => {});
    restoreEnv();
    await removeDir(dir);
    active = false;
    throw err;
  }
}

/** The same store, except that closing it is left to its owner (the stack's first server). */
function unclosable(store: IpaStore): IpaStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'close') return async () => {};
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * What an operator does before novajoin runs: `novajoin ipa-setup`'s RBAC
 * steps (src/setup/rbac.ts) as admin with a password login, after adding the
 * novajoin machine's host entry (ipa-client-install's part). The keytab comes
 * from the KDC instead of ipa-getkeytab.
 */
async function setupRole(emu: IpaEmulator, p: RoleSetup): Promise<void> {
  const host = await emu.rpc('host_add', [`novajoin.${p.domain}`], { force: true });
  if (host.error) throw new Error(`host_add novajoin.${p.domain}: ${host.error.message}`);
  await ensureRole(p);
}

type RoleSetup = { url: string; serverName: string; caFile: string; adminPassword: string; clientPrincipal: string; domain: string };

/** `novajoin ipa-setup`'s RBAC steps as admin; run again, it puts back what a test removed. */
async function ensureRole(p: RoleSetup): Promise<void> {
  const client = new FreeIpaClient({
    url: p.url,
    server: p.serverName,
    caFile: p.caFile,
    auth: { kind: 'password', user: 'admin', password: p.adminPassword },
    apiVersion: '2.230',
    timeoutMs: 10_000,
    retries: 2,
    maxConcurrency: 2,
    lookup: makeLookup(p.serverName),
  });
  try {
    await ensureRbac({ client, principal: p.clientPrincipal });
  } finally {
    await client.close();
  }
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM trust anchors for https. */
  ca?: string | Buffer;
  lookup?: LookupFn;
  /** Default 10 s: a hung server fails the request, never the test run. */
  timeoutMs?: number;
}

/**
 * One bare HTTP(S) request with no client logic at all, for tests that check
 * the emulator's wire behaviour (status codes, headers, cookies) directly.
 */
export function rawRequest(url: string, opts: RawRequestOptions = {}): Promise<RawResponse> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      {
        method: opts.method ?? 'GET',
        headers: { ...(opts.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
        ...(opts.lookup ? { lookup: opts.lookup as never } : {}),
        ...(opts.ca ? { ca: opts.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** FreeIPA client options for this stack: Kerberos with its keytab, its CA and name resolution. */
export function stackClientOptions(stack: IpaStack, overrides: Partial<FreeIpaClientOptions> = {}): FreeIpaClientOptions {
  return {
    url: stack.url,
    server: stack.serverName,
    caFile: stack.caFile,
    auth: { kind: 'kerberos', keytab: stack.clientKeytab, principal: stack.clientPrincipal },
    apiVersion: '2.230',
    timeoutMs: 10_000,
    retries: 2,
    maxConcurrency: 4,
    lookup: stack.lookup,
    ...overrides,
  };
}

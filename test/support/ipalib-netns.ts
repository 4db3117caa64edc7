/**
 * Runs inside `unshare -rn` (a user and network namespace of its own, with
 * only loopback): the test FreeIPA on 127.0.0.1:443, the one port ipalib
 * 4.9 connects to, named ipa.example.test; FreeIPA's python client driving
 * it in phases; and novajoin's own client reading the same state, so the
 * test can compare the two. Kerberos tickets come from a ccache prepared
 * outside (the KDC is not reachable from here), so no KDC call is needed.
 *
 *   node --import tsx ipalib-netns.ts <config.json>   -> JSON on stdout
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FreeIpaDirectory } from '../../src/freeipa/directory.js';
import { InProcessRpc } from '../../src/ipa-emulator/in-process-client.js';
import { makeEnv } from '../../src/ipa-emulator/layout.js';
import { startIpaEmulator } from '../../src/ipa-emulator/server.js';
import { kerberosAuthenticators } from '../../src/ipa-emulator/kerberos-auth.js';
import { runCommand } from './tmp.js';

export interface NetnsConfig {
  readonly dir: string;
  readonly serverName: string;
  readonly domain: string;
  readonly realm: string;
  readonly krb5Conf: string;
  readonly httpKeytab: string;
  /** FILE: ccache holding the client's TGT and its HTTP/<server> ticket. */
  readonly ccache: string;
  readonly confDir: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly caFile: string;
  readonly clientPrincipal: string;
  /** Steps per python run; between runs the host `enroll` names is enrolled with its password. */
  readonly phases: ReadonlyArray<ReadonlyArray<readonly [string, unknown[], Record<string, unknown>]>>;
  readonly enroll: { readonly fqdn: string; readonly password: string };
  /** Hosts and services novajoin's client reads after the first phase. */
  readonly compare: { readonly hosts: string[]; readonly services: string[] };
}

const config = JSON.parse(await readFile(process.argv[2] as string, 'utf8')) as NetnsConfig;
process.env.KRB5_CONFIG = config.krb5Conf;
process.env.KRB5_KTNAME = `FILE:${config.httpKeytab}`;
process.env.KRB5RCACHEDIR = config.dir;

const env = makeEnv({ realm: config.realm, domain: config.domain, serverName: config.serverName });
const emulator = await startIpaEmulator({
  env,
  authenticators: kerberosAuthenticators(config.serverName, config.realm),
  tls: { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) },
  port: 443,
  caCertificate: await readFile(config.caFile),
});

const here = new URL('.', import.meta.url).pathname;
const output: { phases: unknown[]; novajoin: unknown; counters: unknown } = { phases: [], novajoin: null, counters: null };
try {
  for (const [i, steps] of config.phases.entries()) {
    const stepFile = join(config.dir, `steps-${i}.json`);
    await writeFile(stepFile, JSON.stringify(steps));
    const { stdout } = await runCommand('/usr/bin/python3', [join(here, 'ipalib', 'drive.py'), stepFile, config.serverName, config.domain], {
      timeoutMs: 90_000,
      env: {
        PYTHONPATH: join(here, 'ipalib'),
        NOVAJOIN_TEST_HOSTS: `${config.serverName}=127.0.0.1`,
        IPA_CONFDIR: config.confDir,
        XDG_CACHE_HOME: join(config.dir, 'cache'),
        KRB5_CONFIG: config.krb5Conf,
        KRB5CCNAME: config.ccache,
        LC_ALL: 'C.UTF-8',
      },
    });
    output.phases.push(JSON.parse(stdout));
    if (i === 0) {
      const directory = new FreeIpaDirectory({ client: new InProcessRpc(emulator.engine, config.clientPrincipal), realm: config.realm, zone: config.domain });
      const read = await directory.read({ hosts: config.compare.hosts, services: config.compare.services }, Date.now() + 10_000);
      output.novajoin = { hosts: Object.fromEntries(read.hosts), services: Object.fromEntries(read.services) };
      await emulator.simulateEnrollment(config.enroll.fqdn, config.enroll.password);
    }
  }
  output.counters = emulator.counters();
} finally {
  await emulator.close();
}
process.stdout.write(JSON.stringify(output));

/**
 * The test FreeIPA for the benchmark: the emulator's HTTPS front (same
 * envelope, sessions, Referer and Host checks, error codes) over its memory
 * store, with password login and a test CA. Memory rather than 389-ds because
 * the benchmark measures novajoin, not 389-ds; password rather than Kerberos
 * because a KDC adds nothing to a per-call cost the latency knob already sets
 * (the session cookie is reused either way: one login per process).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { passwordTableAuthenticators } from '../src/ipa-emulator/dev-auth.js';
import { makeEnv } from '../src/ipa-emulator/layout.js';
import { startIpaEmulator, type IpaEmulator } from '../src/ipa-emulator/server.js';
import { makeTestCa } from '../test/support/tls.js';

export interface BenchIpa {
  readonly emulator: IpaEmulator;
  readonly serverName: string;
  readonly realm: string;
  readonly domain: string;
  /** https://ipa.example.test:<port>/ipa */
  readonly url: string;
  readonly caFile: string;
  readonly user: string;
  readonly password: string;
}

export async function startBenchIpa(dir: string, latencyMs: number): Promise<BenchIpa> {
  const realm = 'EXAMPLE.TEST';
  const domain = 'example.test';
  const serverName = `ipa.${domain}`;
  const password = randomBytes(18).toString('base64url');
  const tls = await makeTestCa(dir, [serverName]);
  const emulator = await startIpaEmulator({
    env: makeEnv({ realm, domain, serverName }),
    authenticators: passwordTableAuthenticators({ admin: password }, realm),
    tls: { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) },
    latencyMs,
  });
  return { emulator, serverName, realm, domain, url: emulator.url, caFile: tls.caFile, user: 'admin', password };
}

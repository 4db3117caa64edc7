/**
 * Test TLS material made with the openssl CLI: a CA, a server certificate it
 * signed (SANs for the given hostnames and 127.0.0.1), and a second, unrelated
 * CA so that tests can show verification fails against the wrong trust anchor.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './tmp.js';

export interface TestCa {
  /** PEM of the CA that signed certFile. */
  readonly caFile: string;
  /** PEM server certificate (SANs: the hostnames and IP 127.0.0.1). */
  readonly certFile: string;
  /** PEM private key of certFile, unencrypted. */
  readonly keyFile: string;
  /** PEM private key of caFile: what the test FreeIPA's CA signs host and service certificates with. */
  readonly caKeyFile: string;
  /** PEM of a CA that signed nothing here: the "wrong CA". */
  readonly otherCaFile: string;
}

const openssl = (args: readonly string[]) => runCommand('openssl', args, { timeoutMs: 30_000 });

async function makeCa(dir: string, name: string, subject: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  await openssl([
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
    '-subj', subject, '-keyout', key, '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

export async function makeTestCa(dir: string, hostnames: string[]): Promise<TestCa> {
  if (hostnames.length === 0) throw new Error('makeTestCa needs at least one hostname');
  // Two CAs with the same-looking subject would hide a verification bug; make them distinct.
  const ca = await makeCa(dir, 'ca', '/O=novajoin tests/CN=novajoin Test CA');
  const other = await makeCa(dir, 'other-ca', '/O=someone else/CN=Unrelated Test CA');

  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  const san = [...hostnames.map((h) => `DNS:${h}`), 'IP:127.0.0.1'].join(',');
  await writeFile(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${san}`,
      '',
    ].join('\n'),
  );
  await openssl([
    'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256',
    '-subj', `/O=novajoin tests/CN=${hostnames[0]}`, '-keyout', keyFile, '-out', csr,
  ]);
  await openssl([
    'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
    '-days', '30', '-sha256', '-extfile', ext, '-out', certFile,
  ]);
  return { caFile: ca.cert, caKeyFile: ca.key, certFile, keyFile, otherCaFile: other.cert };
}

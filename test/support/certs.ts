/**
 * Host and service certificates as FreeIPA's CA issues them to enrolled
 * nodes (certmonger asks, the CA signs, FreeIPA stores the certificate on
 * the owner's entry): a key and CSR made with openssl on the "node", signed
 * with the test CA's key, subject `O=<REALM>,CN=<host>` and the host as DNS
 * SAN, a serial small enough for JSON numbers.
 */
import { randomInt } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDir, runCommand } from './tmp.js';

export interface IssuingCa {
  readonly caFile: string;
  readonly caKeyFile: string;
}

export interface IssuedCertificate {
  /** base64 DER, as `usercertificate` carries it. */
  readonly base64: string;
  readonly serial: number;
}

export async function issueCertificate(ca: IssuingCa, hostname: string, realm = 'EXAMPLE.TEST'): Promise<IssuedCertificate> {
  const dir = await makeTempDir('novajoin-cert');
  try {
    const serial = randomInt(1, 2 ** 31 - 1);
    const ext = join(dir, 'ext.cnf');
    await writeFile(ext, ['basicConstraints=critical,CA:FALSE', 'extendedKeyUsage=serverAuth,clientAuth', `subjectAltName=DNS:${hostname}`, ''].join('\n'));
    const openssl = (args: string[]) => runCommand('openssl', args, { timeoutMs: 30_000 });
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-subj', `/O=${realm}/CN=${hostname}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'req.csr')]);
    await openssl([
      'x509', '-req', '-in', join(dir, 'req.csr'), '-CA', ca.caFile, '-CAkey', ca.caKeyFile, '-set_serial', String(serial),
      '-days', '30', '-sha256', '-extfile', ext, '-outform', 'DER', '-out', join(dir, 'cert.der'),
    ]);
    return { base64: (await readFile(join(dir, 'cert.der'))).toString('base64'), serial };
  } finally {
    await removeDir(dir);
  }
}

/**
 * A throwaway CA and a server certificate for the embedded FreeIPA of
 * `novajoin dev`, made with the openssl command (Node can sign nothing): the
 * product's FreeIPA client then verifies TLS against a CA file exactly as in
 * production, and other tools can be pointed at the same CA.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DevTls {
  readonly caFile: string;
  readonly cert: string;
  readonly key: string;
}

/** Kept in `dir` and reused on the next start, so tools configured once keep working. */
export function devTls(dir: string, names: readonly string[]): DevTls {
  const caFile = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const certFile = join(dir, 'ipa.pem');
  const keyFile = join(dir, 'ipa.key');
  const namesFile = join(dir, 'ipa.names');
  const wanted = names.join(',');
  const fresh = !existsSync(certFile) || !existsSync(caFile) || (existsSync(namesFile) ? readFileSync(namesFile, 'utf8') : '') !== wanted;
  if (fresh) {
    const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '825', '-subj', '/O=novajoin dev/CN=novajoin dev CA', '-keyout', caKey, '-out', caFile,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const csr = join(dir, 'ipa.csr');
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/O=novajoin dev/CN=${names[0]}`, '-keyout', keyFile, '-out', csr]);
    const ext = join(dir, 'ipa.ext');
    const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    ssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-days', '825', '-extfile', ext, '-out', certFile]);
    writeFileSync(namesFile, wanted);
  }
  return { caFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

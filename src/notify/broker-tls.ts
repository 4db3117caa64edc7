/**
 * TLS to RabbitMQ as oslo.messaging configures it ([oslo_messaging_rabbit]
 * ssl, ssl_ca_file, ssl_cert_file, ssl_key_file): the CA the broker's
 * certificate is verified against and an optional client certificate. Read
 * once, when the listener (or check, or the resync lock) is built, so that a
 * missing file is an error at start, not at the first reconnect.
 */
import { readFileSync } from 'node:fs';
import type { BrokerTlsFiles } from '../config/types.js';

export type { BrokerTlsFiles };

export interface BrokerTls {
  readonly force: boolean;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export class BrokerTlsError extends Error {
  override name = 'BrokerTlsError';
}

export function loadBrokerTls(files: BrokerTlsFiles | undefined): BrokerTls {
  if (!files) return { force: false };
  const read = (path: string, option: string): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new BrokerTlsError(`[oslo_messaging_rabbit] ${option} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  };
  if (Boolean(files.certFile) !== Boolean(files.keyFile)) {
    throw new BrokerTlsError('[oslo_messaging_rabbit] ssl_cert_file and ssl_key_file go together: set both or neither');
  }
  const ca = read(files.caFile, 'ssl_ca_file');
  const cert = read(files.certFile, 'ssl_cert_file');
  const key = read(files.keyFile, 'ssl_key_file');
  return { force: files.enabled, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/**
 * The test FreeIPA's certificate authority, standing in for Dogtag: it knows
 * the CA certificate (cacn `ipa`), keeps a record of every certificate it
 * signed that reaches the directory, and the revocation state of each, as
 * Dogtag's own database does. Certificates are signed outside (openssl with
 * the CA key, as a test helper does for what certmonger would request); the
 * record is made when a command stores one, if the CA's key signed it.
 */
import { X509Certificate } from 'node:crypto';
import { NotFoundError } from '../../freeipa/errors.js';
import { NamedIpaError } from '../wire.js';
import { parseCertificate, serialHex, type CertificateFacts } from './certificate.js';

/** IPA_CA_CN: the name of the main CA. */
export const IPA_CA_CN = 'ipa';

export interface Revocation {
  /** 0-10 (RFC 5280 CRLReason), 4 = superseded, what host_del and friends use. */
  readonly reason: number;
  readonly at: Date;
}

export interface CaRecord {
  readonly cert: CertificateFacts;
  readonly revocation: Revocation | null;
}

export class CertificateAuthority {
  readonly cacn = IPA_CA_CN;
  readonly certificate: X509Certificate;
  readonly subjectDn: string;
  readonly #records = new Map<bigint, CaRecord>();

  constructor(caCertificatePem: string | Buffer) {
    this.certificate = new X509Certificate(caCertificatePem);
    const facts = parseCertificate(this.certificate.raw);
    if (!facts) throw new Error('the CA certificate does not parse');
    this.subjectDn = facts.subject;
  }

  /** Signed by this CA (issuer name and signature both). */
  issued(cert: CertificateFacts): boolean {
    return cert.issuer === this.subjectDn && cert.x509.verify(this.certificate.publicKey);
  }

  /** Keeps the record of a certificate this CA signed; others are ignored, as Dogtag never saw them. */
  learn(cert: CertificateFacts): void {
    if (!this.issued(cert) || this.#records.has(cert.serial)) return;
    this.#records.set(cert.serial, { cert, revocation: null });
  }

  /** ra.get_certificate: the record, or the CertificateOperationError Dogtag's 404 becomes. */
  get(serial: bigint): CaRecord {
    const record = this.#records.get(serial);
    if (!record) {
      const error = `Certificate serial number ${serialHex(serial)} not found`;
      throw new NamedIpaError(4301, 'CertificateOperationError', `Certificate operation cannot be completed: ${error}`, { error });
    }
    return record;
  }

  all(): CaRecord[] {
    return [...this.#records.values()];
  }

  /** ra.find with a subject (the CN of the owner): what Dogtag would list for it. */
  findBySubjectCn(cn: string): CaRecord[] {
    return [...this.#records.values()].filter((r) => r.cert.x509.subject.split('\n').includes(`CN=${cn}`));
  }

  revoke(serial: bigint, reason: number): void {
    const record = this.get(serial);
    if (record.revocation) return;
    this.#records.set(serial, { ...record, revocation: { reason, at: new Date() } });
  }
}

/** ca_enabled_check */
export function requireCa(ca: CertificateAuthority | null): CertificateAuthority {
  if (!ca) throw new NotFoundError('CA is not configured', { reason: 'CA is not configured' });
  return ca;
}

/**
 * A stored certificate as FreeIPA describes it (ipalib/x509.py and
 * service.py set_certificate_attrs, cert.py BaseCertObject._parse):
 * subject and issuer as ipapython DNs (most specific RDN first), the serial
 * in decimal and `0x%X`, validity as `%a %b %d %H:%M:%S %Y UTC`, and
 * lower-case colon-separated fingerprints. Values travel as base64 DER.
 */
import { X509Certificate } from 'node:crypto';
import { DnsName } from '../wire.js';

export interface CertificateFacts {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  readonly subject: string;
  readonly issuer: string;
  readonly serial: bigint;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** base64 DER (what the store holds), PEM, or raw DER; null when it is not a certificate. */
export function parseCertificate(value: string | Uint8Array): CertificateFacts | null {
  let der: Buffer;
  if (typeof value === 'string') {
    const pem = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(value);
    der = Buffer.from((pem?.[1] ?? value).replace(/\s+/g, ''), 'base64');
  } else {
    der = Buffer.from(value);
  }
  try {
    const x509 = new X509Certificate(der);
    return {
      der,
      x509,
      subject: ipaDn(x509.subject),
      issuer: ipaDn(x509.issuer),
      serial: BigInt(`0x${x509.serialNumber}`),
      notBefore: new Date(x509.validFrom),
      notAfter: new Date(x509.validTo),
    };
  } catch {
    return null;
  }
}

/** Node lists RDNs one per line in certificate order; ipapython's DN prints them most specific first. */
function ipaDn(lines: string): string {
  return lines.split('\n').filter(Boolean).reverse().join(',');
}

/** The last CN of the subject: the name bind_principal_can_manage_cert compares with a host principal. */
export function lastCommonName(cert: CertificateFacts): string | null {
  const cns = cert.x509.subject.split('\n').filter((l) => l.startsWith('CN=')).map((l) => l.slice(3));
  return cns.at(-1) ?? null;
}

/** A serial as JSON carries it: a number while exact, else its decimal text. */
export function serialValue(serial: bigint): number | string {
  return serial <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(serial) : serial.toString();
}

export function serialHex(serial: bigint): string {
  return `0x${serial.toString(16).toUpperCase()}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** x509.format_datetime */
export function formatDatetime(d: Date): string {
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()} UTC`;
}

const colons = (fingerprint: string) => fingerprint.toLowerCase();

function dnsNames(cert: CertificateFacts): DnsName[] {
  return (cert.x509.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => new DnsName(s.slice(4)));
}

/** set_certificate_attrs: the fields host_show/service_show add, from the first certificate only. */
export function certificateAttrs(cert: CertificateFacts): Record<string, unknown> {
  return {
    subject: cert.subject,
    serial_number: cert.serial.toString(),
    serial_number_hex: serialHex(cert.serial),
    issuer: cert.issuer,
    valid_not_before: formatDatetime(cert.notBefore),
    valid_not_after: formatDatetime(cert.notAfter),
    sha1_fingerprint: colons(cert.x509.fingerprint),
    sha256_fingerprint: colons(cert.x509.fingerprint256),
  };
}

/** cert_show / cert_find's _parse: `full` adds the fingerprints and every SAN type. */
export function parsedCertFields(cert: CertificateFacts, full: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    subject: cert.subject,
    issuer: cert.issuer,
    serial_number: serialValue(cert.serial),
    valid_not_before: formatDatetime(cert.notBefore),
    valid_not_after: formatDatetime(cert.notAfter),
  };
  if (full) {
    out.sha1_fingerprint = colons(cert.x509.fingerprint);
    out.sha256_fingerprint = colons(cert.x509.fingerprint256);
  }
  const names = dnsNames(cert);
  if (names.length) out.san_dnsname = names;
  out.serial_number_hex = serialHex(cert.serial);
  return out;
}

/**
 * The LDAP inventory's errors, and how whatever ldapts, the socket, TLS or
 * the GSSAPI bind threw becomes one of them: unavailable (retry may help),
 * auth refused, TLS not verified, or anything else.
 */
import {
  BusyError,
  ConfidentialityRequiredError,
  InappropriateAuthError,
  InvalidCredentialsError,
  ResultCodeError,
  StrongAuthRequiredError,
  TimeLimitExceededError,
  UnavailableError,
} from 'ldapts';
import { GssapiRefusedError, GssapiUnavailableError } from './ldap-sasl-gssapi.js';

/** Base class of the LDAP inventory's errors. */
export class LdapInventoryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The directory could not be reached, dropped the connection, was busy, or a deadline passed. Retrying may help. */
export class LdapUnavailableError extends LdapInventoryError {}

/** The bind was refused (wrong DN or password, or the server demands more). Retrying will not help. */
export class LdapAuthError extends LdapInventoryError {}

/** The server's certificate did not verify against the configured CA (or its name did not match). */
export class LdapTlsError extends LdapInventoryError {}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'ECONNABORTED', 'EADDRNOTAVAIL',
]);

/** "NoSuchObjectError (32): <server text>", without ldapts' filler when the server sent no text. */
function describeResult(err: ResultCodeError): string {
  const text = err.message.trim();
  const name = err.constructor.name === 'Error' ? 'LDAP error' : err.constructor.name;
  return `${name} (result ${err.code})${text && !/^Code: 0x/.test(text) ? `: ${text}` : ''}`;
}

/** Classifies whatever ldapts or the socket threw into one of this module's errors. */
export function classify(err: unknown, what: string, caFile?: string): LdapInventoryError {
  if (err instanceof LdapInventoryError) return err;
  if (err instanceof GssapiRefusedError) return new LdapAuthError(`${what}: ${err.message}`, { cause: err });
  if (err instanceof GssapiUnavailableError) return new LdapUnavailableError(`${what}: ${err.message}`, { cause: err });
  if (err instanceof InvalidCredentialsError || err instanceof InappropriateAuthError) {
    return new LdapAuthError(`${what}: invalid credentials`, { cause: err });
  }
  if (err instanceof ConfidentialityRequiredError || err instanceof StrongAuthRequiredError) {
    return new LdapAuthError(`${what}: the server requires a protected connection or stronger authentication (${describeResult(err)})`, { cause: err });
  }
  if (err instanceof UnavailableError || err instanceof BusyError || err instanceof TimeLimitExceededError) {
    return new LdapUnavailableError(`${what}: ${describeResult(err)}`, { cause: err });
  }
  if (err instanceof ResultCodeError) {
    return new LdapInventoryError(`${what}: ${describeResult(err)}`, { cause: err });
  }
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = e?.message ?? String(err);
  if (/CERT|SIGNATURE|ISSUER|ALTNAME|^ERR_TLS_|^ERR_SSL_/.test(code) || /certificate/i.test(message)) {
    const against = caFile ? `the CA file ${caFile}` : 'the system trust store';
    return new LdapTlsError(`${what}: TLS verification failed against ${against} (${code ? `${code}: ` : ''}${message})`, { cause: err });
  }
  if (UNAVAILABLE_CODES.has(code) || /timeout|timed out|socket|connection closed|not established/i.test(message)) {
    return new LdapUnavailableError(`${what}: ${code || message}`, { cause: err });
  }
  return new LdapInventoryError(`${what}: ${message}`, { cause: err });
}

/** Rejects with LdapUnavailableError after ms; runs onTimeout first (to tear the socket down). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new LdapUnavailableError(`${what}: no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}


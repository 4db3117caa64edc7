/**
 * SASL GSSAPI bind (RFC 4752, RFC 4513 5.2) over an ldapts connection, as
 * FreeIPA's own clients bind with a keytab. ldapts 8 has no GSSAPI: its
 * bind() writes credentials as UTF-8 text, treats saslBindInProgress (14) as
 * a failure, and decodes serverSaslCreds as UTF-8 (which mangles Kerberos
 * tokens). So the bind requests are sent through the client's own message
 * queue (its private _send, same message ids and timeouts), and this one
 * connection's parser keeps serverSaslCreds as bytes.
 *
 * The exchange: the initiator token (AP-REQ) for ldap@<host>, the server's
 * AP-REP (mutual authentication, checked), an empty response, then the
 * server's wrapped offer of security layers. We answer "no security layer,
 * max size 0, no authorization id" (the connection is TLS, which the caller
 * ensures): every later operation travels as plain LDAP inside TLS.
 */
import { Ber, BindRequest, BindResponse, type BerReader, type BerWriter, type Client } from 'ldapts';
import type { KerberosClient } from 'kerberos';
import { KDC_UNREACHABLE, loadKerberos, useCredentials, withGssLock } from './gss.js';

export interface GssapiBindOptions {
  /** The server's host name as configured (never canonicalized): the target is ldap@<host>. */
  readonly host: string;
  /** KRB5_CLIENT_KTNAME form (FILE:/path). */
  readonly keytab: string;
  readonly ccache: string;
  /** Client principal in the keytab; its first entry when absent. */
  readonly principal?: string | undefined;
}

/** Kerberos could not be reached (KDC down): retrying may help. */
export class GssapiUnavailableError extends Error {}
/** The keytab, the principal or the server refused the exchange: retrying will not help. */
export class GssapiRefusedError extends Error {}

const RESULT_SASL_BIND_IN_PROGRESS = 14;
const LDAP_RES_BIND = 0x61;
const SERVER_SASL_CREDS = 0x87;
const LAYER_NONE = 0x01;
/** How many round trips a sane exchange needs, with room; a server looping forever is refused. */
const MAX_ROUNDS = 6;

/** A BindRequest whose SASL credentials are bytes (ldapts writes them as a UTF-8 string). */
class SaslBindRequest extends BindRequest {
  constructor(messageId: number, private readonly credentials: Buffer | null) {
    super({ messageId, mechanism: 'GSSAPI' });
  }

  override writeMessage(writer: BerWriter): void {
    writer.writeInt(this.version);
    writer.writeString('');
    writer.startSequence(0xa3);
    writer.writeString('GSSAPI');
    if (this.credentials) writer.writeBuffer(this.credentials, Ber.OctetString);
    writer.endSequence();
  }
}

/** A BindResponse that keeps serverSaslCreds as the bytes the server sent. */
class SaslBindResponse extends BindResponse {
  saslCredentials: Buffer | null = null;

  override parseMessage(reader: BerReader): void {
    this.status = reader.readEnumeration() ?? 0;
    this.matchedDN = reader.readString() ?? '';
    this.errorMessage = reader.readString() ?? '';
    while (reader.remain > 0) {
      const type = reader.peek();
      if (type === null || type === 0xa0) break; // controls
      const value = reader.readString(type, true) as Buffer | null;
      if (type === SERVER_SASL_CREDS) this.saslCredentials = value;
    }
  }
}

/** The parts of ldapts' Client this needs and does not export (ldapts 8.2). */
interface ClientInternals {
  _connect(): Promise<void> | void;
  _nextMessageId(): number;
  _send(message: BindRequest): Promise<SaslBindResponse | BindResponse>;
  _onBindSuccess(rebind: () => Promise<void>): void;
  messageParser: { _getMessageFromProtocolOperation: (id: number, op: number, reader: BerReader, request?: { controls?: unknown[] }) => unknown };
}

function internals(client: Client): ClientInternals {
  const inner = client as unknown as Partial<ClientInternals>;
  for (const name of ['_connect', '_nextMessageId', '_send', '_onBindSuccess'] as const) {
    if (typeof inner[name] !== 'function') throw new GssapiRefusedError(`this ldapts version has no ${name}: the SASL GSSAPI bind needs ldapts 8.x`);
  }
  if (typeof inner.messageParser?._getMessageFromProtocolOperation !== 'function') throw new GssapiRefusedError('this ldapts version has no message parser hook: the SASL GSSAPI bind needs ldapts 8.x');
  return inner as ClientInternals;
}

/** Makes this client's parser keep binary serverSaslCreds (other responses as ldapts parses them). */
function keepSaslBytes(inner: ClientInternals): void {
  const parser = inner.messageParser;
  const original = parser._getMessageFromProtocolOperation.bind(parser);
  parser._getMessageFromProtocolOperation = (id, op, reader, request) => {
    if (op !== LDAP_RES_BIND) return original(id, op, reader, request);
    const message = new SaslBindResponse({ messageId: id });
    message.parse(reader, (request?.controls ?? []) as never);
    return message;
  };
}

const b64 = (buf: Buffer | null): string => (buf ? buf.toString('base64') : '');

/** Binds `client` (connected, TLS) with SASL GSSAPI; resolves once the server says success. */
export async function gssapiBind(client: Client, options: GssapiBindOptions): Promise<void> {
  const inner = internals(client);
  await inner._connect();
  keepSaslBytes(inner);
  const kerberos = await loadKerberos();
  const target = `ldap@${options.host}`;
  const gss = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    withGssLock(async () => {
      useCredentials(options.keytab, options.ccache);
      try {
        return await fn();
      } catch (error) {
        throw gssError(error, what, options);
      }
    });
  const krb: KerberosClient = await gss(`starting GSSAPI for ${target}`, () =>
    kerberos.initializeClient(target, { mechOID: kerberos.GSS_MECH_OID_KRB5, ...(options.principal ? { principal: options.principal } : {}) }),
  );
  let token: Buffer | null = Buffer.from(await gss(`getting a Kerberos ticket for ${target}`, () => krb.step('')), 'base64');
  let layersSent = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const response = await inner._send(new SaslBindRequest(inner._nextMessageId(), token));
    const creds = response instanceof SaslBindResponse ? response.saslCredentials : null;
    if (response.status === 0) {
      // Success before our security-layer answer would skip the layer negotiation RFC 4752 requires.
      if (!layersSent) throw new GssapiRefusedError(`the LDAP server ended the GSSAPI bind before the security layer negotiation`);
      inner._onBindSuccess(() => Promise.reject(new Error('a GSSAPI bind is not replayed')));
      return;
    }
    if (response.status !== RESULT_SASL_BIND_IN_PROGRESS) throw bindRefused(response);
    if (layersSent) throw new GssapiRefusedError('the LDAP server asked for more after the security layer answer');
    if (!krb.contextComplete) {
      // The server's AP-REP: completes the context and proves the server holds ldap/<host>.
      const next = await gss('checking the LDAP server\'s Kerberos reply', () => krb.step(b64(creds)));
      token = next ? Buffer.from(next, 'base64') : Buffer.alloc(0);
      if (!krb.contextComplete && !next) throw new GssapiRefusedError('the GSSAPI context did not complete (no mutual authentication)');
      continue;
    }
    if (!creds || creds.length === 0) {
      token = Buffer.alloc(0);
      continue;
    }
    const offer = Buffer.from(await gss('reading the LDAP server\'s security layer offer', () => krb.unwrap(b64(creds))), 'base64');
    if (offer.length !== 4) throw new GssapiRefusedError(`the LDAP server's security layer offer is ${offer.length} bytes, not 4`);
    if (!((offer[0] ?? 0) & LAYER_NONE)) {
      throw new GssapiRefusedError('the LDAP server requires a SASL integrity or confidentiality layer (minimum SSF above what TLS gives); novajoin relies on TLS instead');
    }
    // kerberos' wrap() builds the reply from the first 4 bytes it is given, forces "no layer"
    // and appends the (empty) authorization id: handing it 01 00 00 00 yields exactly the
    // RFC 4752 answer (max size 0). Eight bytes: it reads a C long.
    const answer = await gss('answering the LDAP server\'s security layer offer', () =>
      krb.wrap(Buffer.from([LAYER_NONE, 0, 0, 0, 0, 0, 0, 0]).toString('base64'), { user: '', protect: false }),
    );
    token = Buffer.from(answer, 'base64');
    layersSent = true;
  }
  throw new GssapiRefusedError(`the LDAP server did not finish the GSSAPI bind in ${MAX_ROUNDS} rounds`);
}

function bindRefused(response: BindResponse): GssapiRefusedError {
  const text = response.errorMessage.trim();
  return new GssapiRefusedError(`the LDAP server refused the GSSAPI bind (result ${response.status}${text ? `: ${text}` : ''})`);
}

function gssError(error: unknown, what: string, options: GssapiBindOptions): Error {
  if (error instanceof GssapiRefusedError || error instanceof GssapiUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const who = options.principal || `the first principal of ${options.keytab}`;
  if (KDC_UNREACHABLE.test(message)) return new GssapiUnavailableError(`${what} as ${who}: ${message}`, { cause: error });
  return new GssapiRefusedError(`${what} as ${who} with ${options.keytab}: ${message}`, { cause: error });
}

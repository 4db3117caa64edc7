/** One FreeIPA server as the client holds it (client.ts): its own sockets, login and `ipa_session` cookie. */
import type { LookupFunction } from 'node:net';
import type { Authenticator } from './auth.js';
import { KerberosAuthenticator } from './auth-kerberos.js';
import { PasswordAuthenticator } from './auth-password.js';
import type { ClientTelemetry } from './client-telemetry.js';
import type { FreeIpaClientOptions } from './client-types.js';
import type { ServerEndpoint } from './server-pool.js';
import { Session } from './session.js';
import { HttpsTransport } from './transport.js';

export interface Replica {
  readonly endpoint: ServerEndpoint;
  readonly http: HttpsTransport;
  readonly auth: Authenticator;
  readonly session: Session;
}

/** The sockets, login and session of one server. */
export function openReplica(endpoint: ServerEndpoint, options: FreeIpaClientOptions, lookup: LookupFunction | undefined, telemetry: ClientTelemetry): Replica {
  // One socket more than the request bound, so a login never waits for a
  // socket held by a request that is itself waiting for that login.
  const http = new HttpsTransport({
    url: endpoint.url,
    server: endpoint.name,
    caFile: options.caFile,
    maxSockets: options.maxConcurrency + 2, // and one for the probe slot
    lookup,
  });
  const auth: Authenticator =
    options.auth.kind === 'kerberos'
      ? new KerberosAuthenticator({ server: endpoint.name, keytab: options.auth.keytab, principal: options.auth.principal })
      : new PasswordAuthenticator(options.auth.user, options.auth.password);
  const replica: Replica = { endpoint, http, auth, session: new Session(() => logIn(replica, options.timeoutMs, telemetry)) };
  return replica;
}

/**
 * One shared login per server (session.ts), with its own deadline. Its
 * failures are retried by the call, which may move to another server.
 */
async function logIn(replica: Replica, timeoutMs: number, telemetry: ClientTelemetry): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const started = performance.now();
  const auth = replica.auth;
  try {
    telemetry.loginStarted();
    const cookie = await auth.login(replica.http, deadline);
    telemetry.loggedIn(auth.kind, replica.endpoint.name, performance.now() - started);
    return cookie;
  } catch (error) {
    telemetry.loginFailed(auth.kind, replica.endpoint.name, started, error);
    throw error;
  }
}

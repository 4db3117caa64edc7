/**
 * The HTTP side of the emulator, as FreeIPA's Apache (ipa.conf,
 * mod_auth_gssapi, ipa-rewrite.conf) and WSGI handlers (rpcserver.py) behave:
 *
 * - every /ipa URL except the exempted login endpoints needs a valid
 *   `ipa_session` cookie or `Authorization: Negotiate`, else 401 with
 *   `WWW-Authenticate: Negotiate`; a Negotiate success also sets a cookie;
 * - /ipa/session/login_password: form POST, 200 + Set-Cookie or 401 with
 *   X-IPA-Rejection-Reason; /ipa/session/login_kerberos: 200 + Set-Cookie;
 * - /ipa/session/* check the Referer (400 "denied", CVE-2023-5455 fix);
 * - /ipa/json and /ipa/session/json answer JSON-RPC, HTTP 200 even for
 *   errors, a bad Referer being RefererError 911.
 *
 * Authentication itself is injected (Kerberos in tests, a table in dev).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RefererError, CommandError } from '../freeipa/errors.js';
import type { Engine, RpcResponse } from './engine.js';
import { SessionTable, sessionCookie, setCookieHeader, COOKIE_NAME } from './sessions.js';

export interface NegotiateResult {
  readonly principal: string;
  /** The server's SPNEGO answer (mutual authentication), sent back in WWW-Authenticate. */
  readonly response?: string;
}

export interface Authenticators {
  /** login_password: the canonical principal when the password is right, else null. */
  password(user: string, password: string): Promise<string | null>;
  /** A base64 SPNEGO token: the client principal, or null when it does not verify. */
  negotiate(tokenB64: string): Promise<NegotiateResult | string | null>;
}

export interface HttpStats {
  /** JSON-RPC requests (/ipa/json, /ipa/session/json), whatever their outcome. */
  roundTrips: number;
  /** Login requests (login_password, login_kerberos). */
  logins: number;
  /** Every HTTP request received. */
  requests: number;
}

export interface HttpFrontOptions {
  readonly engine: Engine;
  readonly sessions: SessionTable;
  readonly authenticators: Authenticators;
  readonly stats: HttpStats;
  /** The port clients reach us on, for redirects. */
  readonly port: () => number;
  readonly maxBodyBytes?: number;
  /** Runs each JSON-RPC request (the capacity model); absent: at once. */
  readonly serve?: () => ((body: string, run: () => Promise<RpcResponse>) => Promise<RpcResponse>) | null;
}

const EXEMPT = new Set(['/ipa/session/login_password', '/ipa/session/change_password', '/ipa/session/sync_token', '/ipa/i18n_messages']);

const html = (title: string, heading: string, message: string) =>
  `<html>\n<head>\n<title>${title}</title>\n</head>\n<body>\n<h1>${heading}</h1>\n<p>\n<strong>${escapeHtml(message)}</strong>\n</p>\n</body>\n</html>`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const UNAUTHORIZED_PAGE =
  '<!DOCTYPE html>\n<html>\n<head>\n<title>IPA: Identity Policy Audit</title>\n</head>\n<body>\n<h1>Unable to verify your Kerberos credentials</h1>\n<p>Please make sure that you have valid Kerberos tickets (obtainable via kinit), and that you have configured your browser correctly.</p>\n</body>\n</html>\n';

function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: string): void {
  res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function badRequest(res: ServerResponse, message: string): void {
  send(res, 400, { 'Content-Type': 'text/html; charset=utf-8' }, html('400 Bad Request', 'Bad Request', message));
}

/** HTTP_Status.check_referer as of the CVE-2023-5455 fix and the strict parsing of 4.13.2. */
export function refererOk(referer: string | undefined, serverName: string): boolean {
  if (!referer) return false;
  if (referer.split('://').length > 2) return false;
  if (!referer.startsWith(`https://${serverName}/ipa`)) return false;
  try {
    const url = new URL(referer);
    return url.protocol === 'https:' && url.hostname === serverName && (url.pathname === '/ipa' || url.pathname.startsWith('/ipa/'));
  } catch {
    return false;
  }
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

interface Authenticated {
  readonly principal: string;
  /** The cookie value the request came with, when that is how it authenticated. */
  readonly cookie?: string;
  /** A new cookie to set (Negotiate with GssapiUseSessions). */
  readonly newCookie?: string;
  readonly negotiateResponse?: string;
}

export function createRequestHandler(opts: HttpFrontOptions) {
  const { engine, sessions, authenticators, stats } = opts;
  const serverName = engine.env.serverName;
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;

  /** mod_auth_gssapi: a live session cookie, else Negotiate; null means 401. */
  async function authenticate(req: IncomingMessage): Promise<Authenticated | null> {
    const cookie = sessionCookie(req.headers.cookie);
    const session = sessions.get(cookie);
    if (session && cookie) return { principal: session.principal, cookie };
    const auth = req.headers.authorization;
    const m = auth ? /^negotiate\s+(\S+)\s*$/i.exec(auth) : null;
    if (!m?.[1]) return null;
    let outcome: NegotiateResult | string | null;
    try {
      outcome = await authenticators.negotiate(m[1]);
    } catch {
      outcome = null;
    }
    if (!outcome) return null;
    const principal = typeof outcome === 'string' ? outcome : outcome.principal;
    const response = typeof outcome === 'string' ? undefined : outcome.response;
    return { principal, newCookie: sessions.create(principal), ...(response ? { negotiateResponse: response } : {}) };
  }

  function unauthorized(res: ServerResponse): void {
    send(res, 401, { 'WWW-Authenticate': 'Negotiate', 'Content-Type': 'text/html; charset=iso-8859-1' }, UNAUTHORIZED_PAGE);
  }

  function authHeaders(who: Authenticated): Record<string, string> {
    const headers: Record<string, string> = {};
    if (who.newCookie) headers['Set-Cookie'] = setCookieHeader(who.newCookie);
    if (who.negotiateResponse) headers['WWW-Authenticate'] = `Negotiate ${who.negotiateResponse}`;
    return headers;
  }

  async function loginPassword(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.logins++;
    if (!refererOk(req.headers.referer, serverName)) return badRequest(res, 'denied');
    const contentType = (req.headers['content-type'] ?? '').toLowerCase();
    if (!contentType.startsWith('application/x-www-form-urlencoded')) {
      return badRequest(res, 'Content-Type must be application/x-www-form-urlencoded');
    }
    if (req.method !== 'POST') return badRequest(res, 'HTTP request method must be POST');
    const form = new URLSearchParams(await readBody(req, maxBody));
    const users = form.getAll('user');
    if (users.length === 0) return badRequest(res, 'no user specified');
    if (users.length > 1) return badRequest(res, 'more than one user parameter');
    const passwords = form.getAll('password');
    if (passwords.length === 0) return badRequest(res, 'no password specified');
    if (passwords.length > 1) return badRequest(res, 'more than one password parameter');
    const user = users[0] as string;
    let principal: string | null = null;
    try {
      principal = await authenticators.password(user, passwords[0] as string);
    } catch {
      principal = null;
    }
    if (!principal) {
      const message = `Principal ${user} cannot be authenticated: Invalid credentials`;
      send(
        res,
        401,
        { 'Content-Type': 'text/html; charset=utf-8', 'X-IPA-Rejection-Reason': 'invalid-password' },
        html('401 Unauthorized', 'Invalid Authentication', message),
      );
      return;
    }
    send(res, 200, { 'Set-Cookie': setCookieHeader(sessions.create(principal)) }, '');
  }

  async function loginKerberos(req: IncomingMessage, res: ServerResponse, who: Authenticated): Promise<void> {
    stats.logins++;
    if (!refererOk(req.headers.referer, serverName)) return badRequest(res, 'denied');
    const cookie = who.newCookie ?? sessions.create(who.principal);
    send(res, 200, { ...authHeaders(who), 'Set-Cookie': setCookieHeader(cookie) }, '');
  }

  async function json(req: IncomingMessage, res: ServerResponse, who: Authenticated, viaSession: boolean): Promise<void> {
    stats.roundTrips++;
    const referer = req.headers.referer;
    if (viaSession && !refererOk(referer, serverName)) return badRequest(res, 'denied');
    const body = await readBody(req, maxBody);
    let loggedOut = false;
    let response: RpcResponse;
    const base = { id: null, principal: who.principal, version: engine.env.packageVersion };
    if (!refererOk(referer, serverName)) {
      const shown = referer ?? 'missing';
      response = { ...base, result: null, error: new RefererError(`Missing or invalid HTTP Referer, ${shown}`, { referer: shown }).toJSON() };
    } else if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      // simple_unmarshal: the method name comes from the URL path.
      const name = viaSession ? 'session/json' : 'json';
      response = { ...base, result: null, error: new CommandError(`unknown command '${name}'`, { name }).toJSON() };
    } else {
      const run = () =>
        engine.handleJson(body, {
          principal: who.principal,
          session: {
            logout: () => {
              sessions.delete(who.cookie);
              loggedOut = true;
            },
          },
        });
      const serve = opts.serve?.();
      response = serve ? await serve(body, run) : await run();
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', ...authHeaders(who) };
    if (loggedOut) headers['Set-Cookie'] = `${COOKIE_NAME}=MagBearerToken=; path=/ipa; httponly; secure`;
    send(res, 200, headers, JSON.stringify(response));
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://placeholder');
      const path = url.pathname;
      // ipa-rewrite.conf: any other Host is redirected to the canonical name.
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      if (host !== serverName && host !== `ipa-ca.${engine.env.domain}`) {
        const port = opts.port();
        const location = `https://${serverName}${port === 443 ? '' : `:${port}`}${path}`;
        send(res, 301, { Location: location, 'Content-Type': 'text/html; charset=iso-8859-1' }, `<a href="${location}">Moved Permanently</a>`);
        return;
      }
      if (path === '/ipa/session/login_password') return await loginPassword(req, res);
      if (!path.startsWith('/ipa/') && path !== '/ipa') {
        send(res, 404, { 'Content-Type': 'text/html; charset=iso-8859-1' }, 'Not Found');
        return;
      }
      if (EXEMPT.has(path)) {
        send(res, 404, { 'Content-Type': 'text/html; charset=iso-8859-1' }, 'Not Found');
        return;
      }
      const who = await authenticate(req);
      if (!who) {
        if (path === '/ipa/json' || path === '/ipa/session/json') stats.roundTrips++;
        req.resume();
        return unauthorized(res);
      }
      if (path === '/ipa/session/login_kerberos') return await loginKerberos(req, res, who);
      if (path === '/ipa/session/json') return await json(req, res, who, true);
      if (path === '/ipa/json') return await json(req, res, who, false);
      send(res, 404, { 'Content-Type': 'text/html; charset=iso-8859-1', ...authHeaders(who) }, 'Not Found');
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof BodyTooLarge) {
        send(res, 413, { 'Content-Type': 'text/plain' }, 'Request Entity Too Large');
        return;
      }
      send(res, 500, { 'Content-Type': 'text/html; charset=iso-8859-1' }, html('500 Internal Server Error', 'Internal Server Error', 'The server encountered an internal error'));
    }
  };
}

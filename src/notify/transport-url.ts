import type { Options } from 'amqplib';
import type { BrokerTls } from './broker-tls.js';

/**
 * oslo.messaging's transport URL (`rabbit://user:pw@host1:5672,user:pw@host2:5672/vhost?ssl=1`)
 * as a list of amqplib connection options, one per broker, in the order they
 * are tried. The WHATWG URL parser cannot read the comma-separated host list,
 * so it is split here the way oslo's `TransportURL.parse` does: netloc at the
 * first `/`, hosts at `,`, credentials at the last `@` of each host.
 */
export interface AmqpEndpoint {
  readonly options: Options.Connect;
  /** amqp://user@host:port/vhost, safe to log: never the password. */
  readonly display: string;
  /** Socket options for amqplib's connect: the CA and client certificate under TLS, the name verified. */
  readonly socket: Readonly<Record<string, unknown>>;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`transport_url: ${what} is not valid percent-encoding`);
  }
}

function splitHostPort(hostport: string): { hostname: string; port: number | undefined } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostport);
  const v4 = /^([^:[\]]+)(?::(\d+))?$/.exec(hostport);
  const m = v6 ?? v4;
  if (!m || !m[1]) throw new Error('transport_url: a host is empty or malformed');
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error('transport_url: a port is out of range');
  return { hostname: m[1], port };
}

export function parseTransportUrl(url: string, brokerTls: BrokerTls = { force: false }): AmqpEndpoint[] {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!scheme?.[1]) throw new Error('transport_url: expected rabbit://, amqp:// or amqps://');
  const kind = scheme[1].toLowerCase();
  if (kind !== 'rabbit' && kind !== 'amqp' && kind !== 'amqps') {
    throw new Error(`transport_url: unsupported scheme ${kind}:// (expected rabbit://, amqp:// or amqps://)`);
  }
  const rest = url.slice(scheme[0].length);
  const queryAt = rest.indexOf('?');
  const beforeQuery = queryAt >= 0 ? rest.slice(0, queryAt) : rest;
  const query = new URLSearchParams(queryAt >= 0 ? rest.slice(queryAt + 1) : '');
  const slash = beforeQuery.indexOf('/');
  const netloc = slash >= 0 ? beforeQuery.slice(0, slash) : beforeQuery;
  const vhostText = slash >= 0 ? beforeQuery.slice(slash + 1) : '';
  const vhost = vhostText === '' ? '/' : decode(vhostText, 'the virtual host');

  const tls = kind === 'amqps' || brokerTls.force || TRUE.has((query.get('ssl') ?? '').toLowerCase());
  const protocol = tls ? 'amqps' : 'amqp';
  const heartbeat = query.get('heartbeat');

  // oslo lets each host carry its own credentials; one without any borrows
  // those of the first host that has some, else RabbitMQ's guest/guest.
  const hosts = netloc.split(',').map((entry) => {
    const at = entry.lastIndexOf('@');
    const userinfo = at >= 0 ? entry.slice(0, at) : null;
    const { hostname, port } = splitHostPort(at >= 0 ? entry.slice(at + 1) : entry);
    let username: string | null = null;
    let password: string | null = null;
    if (userinfo !== null) {
      const colon = userinfo.indexOf(':');
      username = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo, 'the user name');
      password = colon >= 0 ? decode(userinfo.slice(colon + 1), 'the password') : '';
    }
    return { hostname, port, username, password };
  });
  const withCredentials = hosts.find((h) => h.username !== null);

  return hosts.map((h) => {
    const username = h.username ?? withCredentials?.username ?? 'guest';
    const password = h.password ?? withCredentials?.password ?? 'guest';
    const port = h.port ?? (tls ? 5671 : 5672);
    const options: Options.Connect = { protocol, hostname: h.hostname, port, username, password, vhost };
    if (heartbeat !== null && /^\d+$/.test(heartbeat)) options.heartbeat = Number(heartbeat);
    const host = h.hostname.includes(':') ? `[${h.hostname}]` : h.hostname;
    const display = `${protocol}://${encodeURIComponent(username)}@${host}:${port}/${encodeURIComponent(vhost)}`;
    // Node verifies the broker's certificate against `ca` (or the system CAs) for this host name.
    const socket = tls
      ? { servername: h.hostname, ...(brokerTls.ca ? { ca: brokerTls.ca } : {}), ...(brokerTls.cert ? { cert: brokerTls.cert } : {}), ...(brokerTls.key ? { key: brokerTls.key } : {}) }
      : {};
    return { options, display, socket };
  });
}

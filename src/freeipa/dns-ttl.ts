/**
 * The TTL of an SRV record set. Node's resolver (c-ares) gives TTLs for A and
 * AAAA answers only, so this asks the same DNS server once more with a bare
 * RFC 1035 query over UDP and reads the TTLs of the SRV answers. It only
 * decides when to look again: any failure gives null and the caller falls
 * back to its fixed interval.
 */
import { createSocket } from 'node:dgram';
import { getServers } from 'node:dns';
import { isIPv6 } from 'node:net';
import { randomInt } from 'node:crypto';

const TYPE_SRV = 33;

/** "ip", "ip:port", "[v6]" or "[v6]:port" -> address and port. */
function parseServer(server: string): { address: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (v6) return { address: v6[1]!, port: Number(v6[2] ?? 53) };
  if (isIPv6(server)) return { address: server, port: 53 };
  const [address, port] = server.split(':');
  return { address: address!, port: Number(port ?? 53) };
}

function query(id: number, name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // recursion desired
  header.writeUInt16BE(1, 4); // one question
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(TYPE_SRV, 0);
  tail.writeUInt16BE(1, 2); // class IN
  return Buffer.concat([header, ...labels, Buffer.from([0]), tail]);
}

/** Offset just past the (possibly compressed) name at `offset`. */
function skipName(msg: Buffer, offset: number): number {
  for (let i = offset; i < msg.length; ) {
    const len = msg[i]!;
    if (len === 0) return i + 1;
    if ((len & 0xc0) === 0xc0) return i + 2;
    i += len + 1;
  }
  throw new RangeError('name runs past the message');
}

/** The smallest TTL of the SRV answers in a response to `id`, or null. */
export function srvAnswerTtl(msg: Buffer, id: number): number | null {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id || (msg.readUInt16BE(2) & 0x000f) !== 0) return null;
  const questions = msg.readUInt16BE(4);
  const answers = msg.readUInt16BE(6);
  let offset = 12;
  for (let q = 0; q < questions; q++) offset = skipName(msg, offset) + 4;
  let ttl: number | null = null;
  for (let a = 0; a < answers; a++) {
    offset = skipName(msg, offset);
    const type = msg.readUInt16BE(offset);
    const recordTtl = msg.readUInt32BE(offset + 4);
    const length = msg.readUInt16BE(offset + 8);
    offset += 10 + length;
    if (type === TYPE_SRV) ttl = ttl === null ? recordTtl : Math.min(ttl, recordTtl);
  }
  return ttl;
}

/** Seconds the SRV records of `name` may be cached, asked of the first of `servers` (default the system's), or null. */
export function srvTtl(name: string, servers: readonly string[] | undefined, timeoutMs: number): Promise<number | null> {
  const first = (servers && servers.length > 0 ? servers : getServers())[0];
  if (!first) return Promise.resolve(null);
  const { address, port } = parseServer(first);
  const id = randomInt(0, 0x10000);
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    const done = (ttl: number | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(ttl);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('error', () => done(null));
    socket.on('message', (msg) => {
      try {
        done(srvAnswerTtl(msg, id));
      } catch {
        done(null);
      }
    });
    socket.send(query(id, name), port, address, (error) => error && done(null));
  });
}

/**
 * A real DNS server for tests: Debian's dnsmasq (dnsmasq-base), unprivileged,
 * on 127.0.0.1:<free port>, answering only the records given (no upstream,
 * no /etc/hosts). It serves FreeIPA's SRV records and the servers' A records
 * so that discovery is tested against DNS as it is, not a stub.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { createServer } from 'node:net';

export interface SrvRecord {
  /** e.g. _ldap._tcp.example.test */
  readonly name: string;
  readonly target: string;
  readonly port: number;
  readonly priority?: number;
  readonly weight?: number;
}

export interface DnsRecords {
  readonly srv?: readonly SrvRecord[];
  /** name -> IPv4 address */
  readonly a?: Readonly<Record<string, string>>;
  /** TTL of the answers, seconds. */
  readonly ttl?: number;
}

export interface Dnsmasq {
  readonly port: number;
  /** "127.0.0.1:<port>", for [freeipa] dns_servers. */
  readonly server: string;
  /** Serves other records from now on (a restart on the same port, as a zone change would). */
  setRecords(records: DnsRecords): Promise<void>;
  stop(): Promise<void>;
}

/** A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no port free for both UDP and TCP');
}

function args(port: number, records: DnsRecords): string[] {
  return [
    '--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces',
    '--no-resolv', '--no-hosts', '--no-poll', '--pid-file=', '--user=', `--local-ttl=${records.ttl ?? 5}`,
    // Answer for the test domain only; anything else is "no such name", never forwarded.
    '--local=/example.test/',
    ...(records.srv ?? []).map((r) => `--srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 0}`),
    ...Object.entries(records.a ?? {}).map(([name, address]) => `--host-record=${name},${address}`),
  ];
}

export async function startDnsmasq(initial: DnsRecords): Promise<Dnsmasq> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  let stderr = '';

  const start = async (records: DnsRecords) => {
    stderr = '';
    const proc = spawn('dnsmasq', args(port, records), { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`dnsmasq exited (${code}): ${stderr}`))),
    );
    exited.catch(() => {});
    child = proc;
    // Ready when it answers; the probe asks for a name it will never hold.
    const resolver = new Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answered = await Promise.race([
        resolver.resolve4('probe.example.test').then(() => true, (e: NodeJS.ErrnoException) => e.code === 'ENOTFOUND' || e.code === 'ENODATA'),
        exited,
      ]);
      if (answered) return;
      if (Date.now() > deadline) throw new Error(`dnsmasq did not answer on port ${port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stopChild = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };

  await start(initial);
  return {
    port,
    server: `127.0.0.1:${port}`,
    async setRecords(records) {
      await stopChild();
      await start(records);
    },
    stop: stopChild,
  };
}

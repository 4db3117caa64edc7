/**
 * Several FreeIPA servers for the failover tests, as a real deployment has
 * them: each its own name and address (ipa1.example.test on 127.0.0.2,
 * ipa2.example.test on 127.0.0.3, ...), all on the same HTTPS port, all on
 * the stack's one store (replicas share their data), and a real DNS server
 * (dnsmasq) that names them in SRV records and A records. Clients reach
 * them by DNS alone, through [freeipa] dns_servers.
 */
import type { IpaEmulator } from '../../src/ipa-emulator/server.js';
import { startDnsmasq, type Dnsmasq, type SrvRecord } from './dnsmasq.js';
import type { IpaStack } from './ipa-stack.js';

export interface Replica {
  readonly name: string;
  readonly address: string;
  readonly emulator: IpaEmulator;
}

export interface ReplicaSet {
  readonly replicas: readonly Replica[];
  /** The HTTPS port every replica listens on. */
  readonly port: number;
  /** [freeipa] url for them: https://{server}:<port>/ipa */
  readonly urlTemplate: string;
  readonly dns: Dnsmasq;
  /** SRV records of _ldap._tcp.<domain> with these priorities/weights (index = replica), plus the A records. */
  srv(records: ReadonlyArray<{ priority?: number; weight?: number; location?: string }>, ttl?: number): Promise<void>;
  /** Sum of a command's count over every replica. */
  commandCount(method: string): number;
  stop(): Promise<void>;
}

/** Replica names for IpaStackOptions.replicas. */
export const replicaNames = (count: number) => Array.from({ length: count }, (_, i) => `ipa${i + 1}.example.test`);

export async function startReplicas(stack: IpaStack, count: number): Promise<ReplicaSet> {
  const names = replicaNames(count);
  const replicas: Replica[] = [];
  try {
    for (let attempt = 0; replicas.length < count && attempt < 10; attempt++) {
      // The first one picks a free port; the others take the same one on their own address.
      const port = replicas[0]?.emulator.port ?? 0;
      const index = replicas.length;
      const address = `127.0.0.${index + 2}`;
      try {
        const emulator = await stack.startReplica(names[index]!, { host: address, port });
        replicas.push({ name: names[index]!, address, emulator });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || index === 0) throw error;
        for (const r of replicas.splice(0)) await r.emulator.close();
      }
    }
    if (replicas.length < count) throw new Error('could not start the replicas on one port');
  } catch (error) {
    for (const r of replicas) await r.emulator.close().catch(() => {});
    throw error;
  }
  const port = replicas[0]!.emulator.port;
  const a = Object.fromEntries(replicas.map((r) => [r.name, r.address]));
  const recordsFor = (specs: ReadonlyArray<{ priority?: number; weight?: number; location?: string }>): SrvRecord[] =>
    specs.flatMap((spec, i) => {
      const target = replicas[i]!.name;
      const base = { target, port: 389, priority: spec.priority ?? 0, weight: spec.weight ?? 100 };
      return [
        { ...base, name: `_ldap._tcp.${stack.domain}` },
        ...(spec.location ? [{ ...base, name: `_ldap._tcp.${spec.location}._locations.${stack.domain}` }] : []),
      ];
    });
  const dns = await startDnsmasq({ srv: recordsFor(replicas.map(() => ({}))), a });
  return {
    replicas,
    port,
    urlTemplate: `https://{server}:${port}/ipa`,
    dns,
    srv: (specs, ttl) => dns.setRecords({ srv: recordsFor(specs), a, ...(ttl ? { ttl } : {}) }),
    commandCount: (method) => replicas.reduce((sum, r) => sum + (r.emulator.counters().commands[method] ?? 0), 0),
    async stop() {
      await dns.stop();
      // The emulators are the stack's: it closes them.
    },
  };
}

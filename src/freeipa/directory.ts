/**
 * The domain's Directory port, spoken in FreeIPA JSON-RPC: every read is one
 * `batch` round trip and every write list is one more, whatever its length
 * (design B7). Item errors stay item errors, turned into the domain's
 * refusals (refusals.ts); the domain decides what they mean.
 */
import { parseBinding } from '../domain/binding.js';
import type { Directory, DirectoryCallOptions, HostState, ReadQuery, ReadResult, ServiceState, WriteOp, WriteResult } from '../domain/ports.js';
import type { BatchItem } from './codec.js';
import {
  configShow,
  hostAdd,
  hostDel,
  hostDisable,
  hostFind,
  hostMod,
  hostShow,
  serviceAdd,
  serviceAddHost,
  serviceDel,
  serviceFind,
  serviceRemoveHost,
  serviceShow,
  type IpaCommand,
  type MemberOutput,
} from './commands.js';
import { dnsrecordAdd, dnsrecordDel, dnsrecordFind } from './dns-commands.js';
import { EntryNotFound, WriteOutcomeUnknown } from '../domain/errors.js';
import { FreeIpaError, FreeIpaOutcomeUnknownError, NotFoundError } from './errors.js';
import { toRefusal } from './refusals.js';
import { PRIORITY, type Priority } from './semaphore.js';

/** What the directory needs of a JSON-RPC client: FreeIpaClient, or the emulator in process for `novajoin dev`. */
export interface RpcClient {
  call<T>(command: IpaCommand<T>, opts?: { deadline?: number; priority?: Priority }): Promise<T>;
  batch(commands: readonly IpaCommand<unknown>[], opts?: { deadline?: number; priority?: Priority }): Promise<BatchItem[]>;
  ping(opts?: { deadline?: number; probe?: boolean }): Promise<string>;
}

export interface FreeIpaDirectoryOptions {
  readonly client: RpcClient;
  readonly realm: string;
  /** The DNS zone host records live in. */
  readonly zone: string;
}

/** host_add_managedby: lets the instance's host manage a subhost (certificates for its services). */
function hostAddManagedBy(fqdn: string, managers: readonly string[]): IpaCommand<MemberOutput> {
  return { method: 'host_add_managedby', args: [fqdn], options: { host: [...managers] } };
}

const LIMIT_TTL_MS = 10 * 60_000;
const LIMIT_RETRY_MS = 30_000;

export class FreeIpaDirectory implements Directory {
  readonly realm: string;
  readonly #client: RpcClient;
  readonly #zone: string;
  #limit: { value: number | null; until: number } | null = null;
  #limitFlight: Promise<void> | null = null;

  constructor(options: FreeIpaDirectoryOptions) {
    this.#client = options.client;
    this.realm = options.realm;
    this.#zone = options.zone.replace(/\.$/, '');
  }

  async ping(deadline: number): Promise<void> {
    // The domain's ping is the readiness check: on the probe slot.
    await this.#client.ping({ deadline, probe: true });
  }

  async maxHostnameLength(deadline: number): Promise<number | null> {
    const now = Date.now();
    if (this.#limit && this.#limit.until > now) return this.#limit.value;
    // One config_show in flight however many joins wait for it; an answer is
    // kept for minutes (an administrator rarely changes it), a failure briefly.
    this.#limitFlight ??= this.#client
      .call(configShow(), { deadline })
      .then(
        (output) => {
          const value = Number(list(output.result['ipamaxhostnamelength'])[0]);
          this.#limit = Number.isInteger(value) && value > 0 ? { value, until: Date.now() + LIMIT_TTL_MS } : { value: null, until: Date.now() + LIMIT_RETRY_MS };
        },
        () => {
          this.#limit = { value: null, until: Date.now() + LIMIT_RETRY_MS };
        },
      )
      .finally(() => (this.#limitFlight = null));
    await this.#limitFlight;
    return this.#limit?.value ?? null;
  }

  async read(query: ReadQuery, deadline: number, options?: DirectoryCallOptions): Promise<ReadResult> {
    const commands = this.#readCommands(query);
    const items = await this.#send(commands, deadline, options);
    return this.#readResult(query, items);
  }

  async write(ops: readonly WriteOp[], deadline: number, options?: DirectoryCallOptions): Promise<WriteResult[]> {
    if (ops.length === 0) return [];
    const items = await this.#send(ops.map((op) => this.#command(op)), deadline, options);
    return writeResults(ops, items);
  }

  async writeAndRead(ops: readonly WriteOp[], query: ReadQuery, deadline: number, options?: DirectoryCallOptions): Promise<{ writes: WriteResult[]; read: ReadResult }> {
    const items = await this.#send([...ops.map((op) => this.#command(op)), ...this.#readCommands(query)], deadline, options);
    return { writes: writeResults(ops, items.slice(0, ops.length)), read: this.#readResult(query, items.slice(ops.length)) };
  }

  #readCommands(query: ReadQuery): IpaCommand<unknown>[] {
    const commands: IpaCommand<unknown>[] = [
      ...unique(query.hosts).map((fqdn) => hostShow(fqdn)),
      ...unique(query.services).map((principal) => serviceShow(principal)),
    ];
    if (query.hostsOfInstance) commands.push(hostFind(`instance=${query.hostsOfInstance}`, { all: true, no_members: false, sizelimit: 0 }));
    if (query.servicesManagedBy?.length) commands.push(serviceFind(undefined, { man_by_host: [...query.servicesManagedBy], no_members: false, sizelimit: 0 }));
    if (query.recordsWithAddress) commands.push(dnsrecordFind(this.#zone, undefined, { arecord: [query.recordsWithAddress] }));
    return commands;
  }

  /** The items of #readCommands(query), in the same order, as the domain's read result. */
  #readResult(query: ReadQuery, items: readonly BatchItem[]): ReadResult {
    let i = 0;
    const take = () => items[i++]!;
    const hostMap = new Map<string, HostState | null>();
    for (const fqdn of unique(query.hosts)) hostMap.set(fqdn, entryOrNull(take(), (e) => toHost(e)));
    const serviceMap = new Map<string, ServiceState | null>();
    for (const principal of unique(query.services)) serviceMap.set(principal, entryOrNull(take(), (e) => toService(e, principal)));
    const hostsOfInstance = query.hostsOfInstance ? found(take()).map((e) => toHost(e)) : [];
    const servicesManagedBy = query.servicesManagedBy?.length ? found(take()).map((e) => toService(e, '')) : [];
    const recordsWithAddress = query.recordsWithAddress
      ? found(take()).flatMap((e) => list(e['idnsname']).map((name) => (name === '@' ? this.#zone : `${name.replace(/\.$/, '')}.${this.#zone}`)))
      : [];
    return { hosts: hostMap, services: serviceMap, hostsOfInstance, servicesManagedBy, recordsWithAddress };
  }

  /**
   * One round trip: a lone command as itself, several as one batch. A write
   * whose answer was lost is the domain's WriteOutcomeUnknown: it re-plans
   * from a fresh read (a batch holding writes is never resent as is).
   */
  async #send(commands: readonly IpaCommand<unknown>[], deadline: number, options?: DirectoryCallOptions): Promise<BatchItem[]> {
    if (commands.length === 0) return [];
    const opts = { deadline, priority: options?.urgency === 'repeat' ? PRIORITY.low : PRIORITY.normal };
    try {
      return commands.length === 1 ? [await this.#single(commands[0]!, opts)] : await this.#client.batch(commands, opts);
    } catch (error) {
      if (error instanceof FreeIpaOutcomeUnknownError) throw new WriteOutcomeUnknown(error.message, { cause: error });
      throw error;
    }
  }

  /** One command needs no batch envelope: same round trip, simpler for FreeIPA. */
  async #single(command: IpaCommand<unknown>, opts: { deadline: number; priority: Priority }): Promise<BatchItem> {
    try {
      return { ok: true, result: (await this.#client.call(command, opts)) as Record<string, unknown> };
    } catch (error) {
      if (error instanceof FreeIpaError) return { ok: false, error };
      throw error;
    }
  }

  #command(op: WriteOp): IpaCommand<unknown> {
    switch (op.op) {
      case 'addHost':
        return hostAdd(op.fqdn, {
          force: true,
          description: op.description,
          ...(op.otp !== null ? { userpassword: op.otp } : {}),
          ...(op.userClass ? { userclass: [op.userClass] } : {}),
          ...(op.location ? { nshostlocation: op.location } : {}),
          ...(op.osVersion ? { nsosversion: op.osVersion } : {}),
        });
      case 'setOtp':
        return hostMod(op.fqdn, { userpassword: op.otp, description: op.description });
      case 'modifyHost': {
        // null clears an attribute in FreeIPA's option handling
        const options: Record<string, unknown> = {};
        if (op.userClass !== undefined) options['userclass'] = op.userClass === null ? null : [op.userClass];
        if (op.location !== undefined) options['nshostlocation'] = op.location;
        if (op.osVersion !== undefined) options['nsosversion'] = op.osVersion;
        return { method: 'host_mod', args: [op.fqdn], options };
      }
      case 'disableHost':
        return hostDisable(op.fqdn);
      case 'deleteHost':
        return hostDel(op.fqdn, { updatedns: op.updateDns });
      case 'addHostManager':
        return hostAddManagedBy(op.fqdn, [op.manager]);
      case 'addService':
        return serviceAdd(op.principal, { force: true });
      case 'addServiceHost':
        return serviceAddHost(op.principal, [op.host]);
      case 'removeServiceHost':
        return serviceRemoveHost(op.principal, [op.host]);
      case 'deleteService':
        return serviceDel(op.principal);
      case 'addARecord':
        return dnsrecordAdd(this.#zone, this.#relative(op.fqdn), { arecord: [op.address] });
      case 'deleteARecord':
        return dnsrecordDel(this.#zone, this.#relative(op.fqdn), { arecord: [op.address] });
    }
  }

  #relative(fqdn: string): string {
    if (fqdn === this.#zone) return '@';
    return fqdn.endsWith(`.${this.#zone}`) ? fqdn.slice(0, -(this.#zone.length + 1)) : `${fqdn}.`;
  }
}

function unique(values: readonly string[] | undefined): string[] {
  return [...new Set(values ?? [])];
}

function writeResults(ops: readonly WriteOp[], items: readonly BatchItem[]): WriteResult[] {
  return items.map((item, index) => memberFailure(ops[index]!, item) ?? (item.ok ? { ok: true } : { ok: false, error: toRefusal(item.error) }));
}

/**
 * The *_add_<member> commands report refusals in `failed`, not as errors.
 * "Already a member" (adding) and "not a member" (removing) mean the state is
 * as wanted; anything else is turned into an item error.
 */
function memberFailure(op: WriteOp, item: BatchItem): WriteResult | null {
  if (!item.ok || !['addHostManager', 'addServiceHost', 'removeServiceHost'].includes(op.op)) return null;
  const failed = (item.result as Partial<MemberOutput>).failed ?? {};
  const reasons = Object.values(failed)
    .flatMap((byType) => Object.values(byType ?? {}))
    .flat()
    .map((pair) => (Array.isArray(pair) ? String(pair[1]) : String(pair)))
    .filter((reason) => !/already a member|not a member/i.test(reason));
  return reasons.length ? { ok: false, error: new EntryNotFound(reasons.join('; '), 'NotFound') } : null;
}

function entryOrNull<T>(item: BatchItem, map: (entry: Record<string, unknown>) => T): T | null {
  if (!item.ok) {
    if (item.error instanceof NotFoundError) return null;
    throw toRefusal(item.error);
  }
  return map((item.result['result'] ?? {}) as Record<string, unknown>);
}

function found(item: BatchItem): Record<string, unknown>[] {
  if (!item.ok) {
    if (item.error instanceof NotFoundError) return [];
    throw toRefusal(item.error);
  }
  return (item.result['result'] ?? []) as Record<string, unknown>[];
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function first(value: unknown): string | null {
  return list(value)[0] ?? null;
}

function toHost(entry: Record<string, unknown>): HostState {
  const fqdn = (first(entry['fqdn']) ?? '').toLowerCase();
  const hasPassword = entry['has_password'] === true;
  const hasKeytab = entry['has_keytab'] === true || (!hasPassword && (entry['krblastpwdchange'] !== undefined || entry['krbprincipalkey'] !== undefined));
  return {
    fqdn,
    binding: parseBinding(list(entry['description'])),
    hasKeytab,
    hasPassword,
    userClass: list(entry['userclass']),
    location: first(entry['nshostlocation']),
    osVersion: first(entry['nsosversion']),
    managedBy: list(entry['managedby_host']).map((h) => h.toLowerCase()),
  };
}

function toService(entry: Record<string, unknown>, fallback: string): ServiceState {
  return {
    principal: first(entry['krbcanonicalname']) ?? first(entry['krbprincipalname']) ?? fallback,
    managedBy: list(entry['managedby_host']).map((h) => h.toLowerCase()),
  };
}

/**
 * The JSON-RPC layer of the emulator (ipaserver/rpcserver.py jsonserver +
 * ipalib/frontend.py Command.__do_call): envelope checks (909), method
 * resolution with `name` or `name/1` (905), API version check (901) and the
 * VersionMissing warning, parameter mapping and conversion, then the
 * command. Every answer is `{result, error, id, principal, version}`.
 * Counters of commands and writes live here; round trips are HTTP's.
 */
import { randomInt } from 'node:crypto';
import { ACIError, CommandError, FreeIpaError, InternalError, JSONError, VersionError } from '../freeipa/errors.js';
import type { CertificateAuthority } from './ca/authority.js';
import type { CommandContext, CommandDef } from './command.js';
import { certCommands } from './commands/cert.js';
import { ownerCertCommands } from './commands/owner-certs.js';
import { batchCommand } from './commands/batch.js';
import { configCommands } from './commands/config.js';
import { dnsCommands } from './commands/dns.js';
import { hostCommands } from './commands/host.js';
import { hostManagedByCommands } from './commands/host-managedby.js';
import { joinCommands } from './commands/join.js';
import { miscCommands } from './commands/ping.js';
import { rbacCommands } from './commands/rbac.js';
import { serviceCommands } from './commands/service.js';
import type { IpaEnv } from './layout.js';
import { convertParams, mapParams } from './params.js';
import { f, type IpaStore } from './store.js';
import { decodeTypedInput, encodeOutput, hasCapability, messages as msg, parseApiVersion, VERSION_WITHOUT_CAPABILITIES, type IpaMessage } from './wire.js';

export interface RpcErrorBody {
  readonly code: number;
  readonly name: string;
  readonly message: string;
  readonly data: Record<string, unknown>;
}

export interface RpcResponse {
  readonly result: unknown;
  readonly error: RpcErrorBody | null;
  readonly id: unknown;
  readonly principal: string;
  readonly version: string;
}

export interface CallerInfo {
  readonly principal: string;
  readonly session?: { logout(): void };
}

export interface EngineOptions {
  readonly env: IpaEnv;
  readonly store: IpaStore;
  /** The CA hosts' and services' certificates come from; absent: a server without a CA. */
  readonly ca?: CertificateAuthority | null;
  /**
   * Principals allowed to run commands that change state; others get
   * ACIError. Absent: everyone may write.
   */
  readonly writers?: readonly string[];
  /** ipa_generate_password replacement (tests may make it deterministic). */
  readonly randomPassword?: () => string;
}

export interface EngineStats {
  /** Commands run, by name (top-level calls and batch items; not internal calls). */
  readonly commands: Map<string, number>;
  writes: number;
}

const PASSWORD_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** ipa_generate_password(entropy_bits=128, special=None): letters and digits, 22 of them. */
export function generatePassword(): string {
  let out = '';
  for (let i = 0; i < 22; i++) out += PASSWORD_CHARS[randomInt(PASSWORD_CHARS.length)];
  return out;
}

function errorBody(err: unknown): RpcErrorBody {
  if (err instanceof FreeIpaError) return err.toJSON();
  return new InternalError('an internal error has occurred').toJSON();
}

export class Engine {
  readonly env: IpaEnv;
  readonly store: IpaStore;
  readonly ca: CertificateAuthority | null;
  readonly stats: EngineStats = { commands: new Map(), writes: 0 };
  private readonly commands = new Map<string, CommandDef>();
  private readonly writers: Set<string> | null;
  private readonly randomPassword: () => string;
  /** principal -> the DN of its entry, as 389-ds's "Full Principal" SASL mapping finds it. */
  private readonly callerDns = new Map<string, string>();

  constructor(opts: EngineOptions) {
    this.env = opts.env;
    this.store = opts.store;
    this.ca = opts.ca ?? null;
    this.writers = opts.writers ? new Set(opts.writers.map((w) => w.toLowerCase())) : null;
    this.randomPassword = opts.randomPassword ?? generatePassword;
    for (const def of [...hostCommands, ...hostManagedByCommands, ...serviceCommands, ...dnsCommands, ...rbacCommands, ...certCommands, ...ownerCertCommands, ...miscCommands, ...configCommands, ...joinCommands, batchCommand(this)]) {
      this.commands.set(def.name, def);
    }
  }

  /** api.Command[name, '1'] or api.Command[name]. */
  lookup(name: string): CommandDef | undefined {
    const slash = name.lastIndexOf('/');
    if (slash >= 0) return name.slice(slash + 1) === '1' ? this.commands.get(name.slice(0, slash)) : undefined;
    return this.commands.get(name);
  }

  resetStats(): void {
    this.stats.commands.clear();
    this.stats.writes = 0;
  }

  /** jsonserver.unmarshal + wsgi_execute + marshal, for a request body already read. */
  async handleJson(body: string, caller: CallerInfo): Promise<RpcResponse> {
    let id: unknown = null;
    let encodeVersion = VERSION_WITHOUT_CAPABILITIES;
    try {
      let data: unknown;
      try {
        data = decodeTypedInput(JSON.parse(body));
      } catch (err) {
        throw jsonError(err instanceof Error ? err.message : String(err));
      }
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw jsonError('Request must be a dict');
      const d = data as Record<string, unknown>;
      if (!('method' in d)) throw jsonError('Request is missing "method"');
      if (!('params' in d)) throw jsonError('Request is missing "params"');
      const params = d.params;
      if (!Array.isArray(params)) throw jsonError('params must be a list');
      if (params.length !== 2) throw jsonError('params must contain [args, options]');
      const [args, options] = params as [unknown, unknown];
      if (!Array.isArray(args)) throw jsonError('params[0] (aka args) must be a list');
      if (!options || typeof options !== 'object' || Array.isArray(options)) throw jsonError('params[1] (aka options) must be a dict');
      id = d.id ?? null;
      const opts = options as Record<string, unknown>;
      // The reply is encoded for the version the client sent, or for a client without capabilities.
      if (typeof opts.version === 'string' || typeof opts.version === 'number') encodeVersion = String(opts.version);
      const result = await this.call(String(d.method), args, { ...opts }, caller, false);
      return { result: encodeOutput(result, encodeVersion), error: null, id, principal: caller.principal, version: this.env.packageVersion };
    } catch (err) {
      return { result: null, error: errorBody(err), id, principal: caller.principal, version: this.env.packageVersion };
    }
  }

  /** A command call, from the wire or from batch/another command. */
  async call(name: string, args: unknown[], options: Record<string, unknown>, caller: CallerInfo, internal: boolean): Promise<Record<string, unknown> | unknown[]> {
    const def = this.lookup(name);
    if (!def) throw new CommandError(`unknown command '${name}'`, { name });
    const added: IpaMessage[] = [];
    let version: string;
    if ('version' in options && options.version !== undefined && options.version !== null) {
      version = String(options.version);
      this.verifyVersion(version);
    } else {
      version = this.env.apiVersion;
      added.push(msg.versionMissing(this.env.apiVersion));
    }
    const mapped = mapParams(def, args, options);
    const params = convertParams(def, mapped);
    if (def.write && this.writers && !this.writers.has(caller.principal.toLowerCase())) {
      const info = `Insufficient access rights for '${def.name}'`;
      throw new ACIError(`Insufficient access: ${info}`, { info });
    }
    if (!internal) {
      this.stats.commands.set(def.name, (this.stats.commands.get(def.name) ?? 0) + 1);
    }
    const ctx: CommandContext = {
      env: this.env,
      store: this.store.actingAs(await this.callerDn(caller.principal)),
      system: this.store,
      ca: this.ca,
      principal: caller.principal,
      version,
      addMessage: (m) => added.push(m),
      call: (n, a, o, extra) => this.call(n, a, o, caller, extra?.internal ?? false) as Promise<Record<string, unknown>>,
      ...(caller.session ? { session: caller.session } : {}),
      randomPassword: this.randomPassword,
    };
    const result = await def.run(ctx, params);
    // Counted once it succeeded: a refused write (DuplicateEntry, ACIError) changed nothing.
    if (!internal && def.write) this.stats.writes++;
    if (added.length && !Array.isArray(result) && hasCapability(version, 'messages')) {
      const existing = Array.isArray(result.messages) ? (result.messages as IpaMessage[]) : [];
      return { ...result, messages: [...existing, ...added] };
    }
    return result;
  }

  /**
   * The entry a principal binds as: FreeIPA's framework binds with the
   * caller's ticket, which 389-ds maps with (krbPrincipalName=<principal>).
   * A principal without an entry gets a DN that exists nowhere, so that the
   * directory refuses it everything.
   */
  private async callerDn(principal: string): Promise<string> {
    const key = principal.toLowerCase();
    const known = this.callerDns.get(key);
    if (known) return known;
    const { entries } = await this.store.search(this.env.suffix, { scope: 'sub', filter: f.eq('krbprincipalname', principal), sizeLimit: 2 });
    const found = entries.length === 1 ? entries[0]?.dn : undefined;
    if (!found) return `krbprincipalname=${principal.replace(/[,=+<>#;\\"]/g, '\\$&')},cn=nobody,${this.env.suffix}`;
    this.callerDns.set(key, found);
    return found;
  }

  /** frontend.verify_client_version: any 2.x is accepted since 4.4. */
  private verifyVersion(cver: string): void {
    const client = parseApiVersion(cver);
    const server = parseApiVersion(this.env.apiVersion);
    if (!client || !server || client[0] !== server[0]) {
      const serverUri = `https://${this.env.serverName}/ipa/xml`;
      throw new VersionError(`${cver} client incompatible with ${this.env.apiVersion} server at '${serverUri}'`, {
        cver,
        sver: this.env.apiVersion,
        server: serverUri,
      });
    }
  }
}

function jsonError(error: string): FreeIpaError {
  return new JSONError(`Invalid JSON-RPC request: ${error}`, { error });
}

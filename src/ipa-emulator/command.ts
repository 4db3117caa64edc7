/**
 * What a command is to the engine: its shape (arguments, options), whether
 * it changes state (for the write counter), and a run function over a
 * context that gives it the directory, the environment, the caller and a
 * way to attach warnings to its result.
 */
import type { CertificateAuthority } from './ca/authority.js';
import type { IpaEnv } from './layout.js';
import type { CommandShape, Params } from './params.js';
import type { IpaStore } from './store.js';
import type { IpaMessage } from './wire.js';

export interface CommandContext {
  readonly env: IpaEnv;
  /** The directory as the caller sees it: the directory, not the command, decides each right. */
  readonly store: IpaStore;
  /** The certificate authority; null when the server runs without one (FreeIPA's ca_enabled false). */
  readonly ca: CertificateAuthority | null;
  /**
   * The directory with the server's own rights, for what 389-ds's plugins do
   * inside FreeIPA whoever asks (memberOf, referential integrity) and for the
   * checks FreeIPA's framework makes itself.
   */
  readonly system: IpaStore;
  /** The authenticated principal (`principal` of the response). */
  readonly principal: string;
  /** The API version the command runs as: the client's, or the server's when none was sent. */
  readonly version: string;
  addMessage(message: IpaMessage): void;
  /**
   * Runs a command by name, as FreeIPA's api.Command[name](...) does: batch
   * items (counted like top-level calls) or, with `internal`, a command
   * calling another (not counted).
   */
  call(name: string, args: unknown[], options: Record<string, unknown>, opts?: { internal?: boolean }): Promise<Record<string, unknown>>;
  /** The HTTP session of the call, when there is one (session_logout). */
  readonly session?: { logout(): void };
  /** ipa_generate_password: a random one-time password. */
  randomPassword(): string;
}

export interface CommandDef extends CommandShape {
  /** Changes state: counted by the emulator's write counter, refused to principals without write access. */
  readonly write: boolean;
  /** The command's output (a dict for every command here except `join`, which returns [dn, entry]). */
  run(ctx: CommandContext, params: Params): Promise<Record<string, unknown> | unknown[]>;
}

export function defineCommands(...defs: CommandDef[]): CommandDef[] {
  return defs;
}

/**
 * The novajoin principal's keytab. `ipa-getkeytab -s <server> -p <principal>
 * -k <keytab>` asks FreeIPA's LDAP server for new keys through its keytab
 * extended operation, authenticated with a Kerberos ticket of the admin. The
 * ticket is obtained with kinit into a private credential cache in a fresh
 * 0700 directory, password on stdin, and that directory is removed in
 * `finally`, whatever happened.
 *
 * The command is configurable (--getkeytab-command) because the test FreeIPA
 * server has no keytab extended operation: the tests pass a small script that
 * makes a real keytab from the real test KDC with kadmin.local ktadd instead.
 *
 * Fetching new keys invalidates every copy of the old ones, so a keytab that
 * already holds the principal is left alone unless rotation is asked for.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandFailed, runCommand, tail } from './run-command.js';

export interface KeytabRequest {
  readonly server: string;
  readonly principal: string;
  readonly keytab: string;
  /** Admin principal (user@REALM) and password for the ticket. */
  readonly admin: string;
  readonly password: string;
  /** Program and leading arguments, e.g. ['ipa-getkeytab']. */
  readonly getkeytab: readonly string[];
  readonly rotate: boolean;
  readonly timeoutMs: number;
  /** Environment of the helper programs (KRB5_CONFIG in tests); default this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

export type KeytabOutcome = 'created' | 'exists';

export async function ensureKeytab(request: KeytabRequest): Promise<KeytabOutcome> {
  const env = request.env ?? process.env;
  if (!request.rotate && (await keytabHolds(request.keytab, request.principal, env, request.timeoutMs))) return 'exists';
  const dir = await mkdtemp(join(tmpdir(), 'novajoin-setup-'));
  const ccache = `FILE:${join(dir, 'ccache')}`;
  try {
    await chmod(dir, 0o700);
    const withCache = { ...env, KRB5CCNAME: ccache };
    const kinit = await runCommand('kinit', ['-c', ccache, request.admin], { env: withCache, input: `${request.password}\n`, timeoutMs: request.timeoutMs });
    if (kinit.code !== 0) throw new CommandFailed(`kinit ${request.admin} failed: ${tail(kinit.stderr) || `exit ${kinit.code}`}`, kinit);
    const [program, ...lead] = request.getkeytab;
    if (!program) throw new CommandFailed('the keytab command is empty');
    const args = [...lead, '-s', request.server, '-p', request.principal, '-k', request.keytab];
    const got = await runCommand(program, args, { env: withCache, timeoutMs: request.timeoutMs });
    if (got.code !== 0) throw new CommandFailed(`${program} failed: ${tail(got.stderr || got.stdout) || `exit ${got.code}`}`, got);
    await chmod(request.keytab, 0o600);
    return 'created';
  } finally {
    await runCommand('kdestroy', ['-q', '-c', ccache], { env, timeoutMs: request.timeoutMs }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** `klist -k` lists the principal in the keytab (false when the file is missing). */
export async function keytabHolds(keytab: string, principal: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<boolean> {
  const result = await runCommand('klist', ['-k', keytab], { env, timeoutMs });
  if (result.code !== 0) return false;
  const wanted = principal.toLowerCase();
  return result.stdout.split('\n').some((line) => line.trim().split(/\s+/).pop()?.toLowerCase() === wanted);
}

/**
 * kadmin.local against a private KDC database: principals and keytabs with
 * no admin server and no admin credentials, as the KDC's owner may.
 * Arguments are quoted for kadmin's own query parser and refused when they
 * could break out of the quotes; passwords never reach an error message.
 */
import { runCommand } from './child.js';

const KADMIN_TIMEOUT_MS = 30_000;

/** A duration MIT's krb5_string_to_deltat accepts; kept to a safe subset so it can go into config files. */
export function checkDuration(value: string): string {
  if (!/^(\d+[dhms])+$|^\d+$|^\d{1,2}:\d{2}(:\d{2})?$/.test(value)) throw new Error(`bad Kerberos duration: ${value}`);
  return value;
}

/** kadmin's query parser splits on blanks and honours double quotes; refuse anything that could break out. */
export function quote(arg: string): string {
  if (/["\\\n\r]/.test(arg) || arg.length === 0) throw new Error('principal names and passwords for kadmin.local may not contain quotes, backslashes or newlines');
  return `"${arg}"`;
}

export interface Kadmin {
  /** Runs one query; anything on stderr but kadmin's chatter is an error. */
  (query: string): Promise<string>;
}

export function kadminLocal(program: string, realm: string, env: Record<string, string>): Kadmin {
  return async (query) => {
    const { stdout, stderr } = await runCommand(program, ['-r', realm, '-q', query], { env, timeoutMs: KADMIN_TIMEOUT_MS, secretArgs: true });
    // kadmin.local reports most failures on stderr with a zero exit; everything
    // except its chatter ("No policy specified...") is an error.
    const problems = stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^No policy specified for .*; defaulting to no policy$/.test(l));
    if (problems.length) throw new Error(`kadmin.local ${query.split(' ')[0]}: ${problems.join('; ')}`);
    return stdout;
  };
}

export async function runKdbCreate(program: string, realm: string, masterPassword: string, env: Record<string, string>): Promise<void> {
  await runCommand(program, ['create', '-s', '-r', realm, '-P', masterPassword], { env, timeoutMs: KADMIN_TIMEOUT_MS, secretArgs: true });
}

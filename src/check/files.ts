/**
 * The files and options every novajoin process reads before it starts (the
 * FreeIPA CA, the keytab or password file, the OTP secret, the LDAP bind
 * password, Keystone's auth_url): the same checks the daemons make at start,
 * so check and the daemons agree. A missing or unreadable key file is a FAIL.
 */
import { startupProblems, type Need } from '../config/startup.js';
import type { CheckContext, CheckLine } from './checks.js';

const EVERYTHING: readonly Need[] = ['freeipa', 'freeipa-login', 'otp-secret', 'keystone', 'ldap'];

export async function checkFiles(ctx: CheckContext): Promise<CheckLine[]> {
  const problems = startupProblems(ctx.config, EVERYTHING);
  if (problems.length === 0) return [{ ok: true, what: 'key files and required options (CA file, keytab or password file, OTP secret, bind password, Keystone auth_url)' }];
  return problems.map((p) => ({ ok: false, what: `[${p.section}] ${p.option}`, why: p.detail, fix: `fix [${p.section}] ${p.option} in ${ctx.config.file ?? 'the configuration'}` }));
}

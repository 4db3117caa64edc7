/**
 * What a guest's `ipa-client-install --password <OTP>` does to the host
 * entry (reference/freeipa-api.md 4.4): ipa-join binds as the host with the
 * OTP (a real LDAP simple bind in the 389-ds-backed store) and sends the join
 * extended operation; ipa-getkeytab then sets the keys. Tests and
 * `novajoin dev` use this to play the guest.
 */
import type { IpaEnv } from './layout.js';
import { dnOf } from './layout.js';
import { first, has, type Change, type IpaStore } from './store.js';

/** ipa-join exit codes (client/man/ipa-join.1). */
export type EnrollmentFailure = 'already-enrolled' | 'incorrect-password' | 'no-host';

export class EnrollmentError extends Error {
  readonly exitCode: number;
  constructor(
    readonly reason: EnrollmentFailure,
    message: string,
  ) {
    super(message);
    this.name = 'EnrollmentError';
    this.exitCode = reason === 'already-enrolled' ? 13 : reason === 'incorrect-password' ? 15 : 14;
  }
}

export interface EnrollmentResult {
  readonly principal: string;
  readonly hostDn: string;
}

/** LDAP generalized time, as the pwd-extop plugin writes krbLastPwdChange. */
export function generalizedTime(date = new Date()): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function simulateEnrollment(store: IpaStore, env: IpaEnv, fqdnRaw: string, otp: string): Promise<EnrollmentResult> {
  const fqdn = fqdnRaw.toLowerCase().replace(/\.$/, '');
  const dn = dnOf.host(env, fqdn);
  // ipa-join: simple bind as the host with the OTP; INVALID_CREDENTIALS is exit 15.
  if (!(await store.checkPassword(dn, otp))) throw new EnrollmentError('incorrect-password', 'Incorrect bulk password');
  const entry = await store.get(dn);
  if (!entry) throw new EnrollmentError('no-host', `Host ${fqdn} not found`);
  // ipa_enrollment.c: a host with krbLastPwdChange is already enrolled.
  if (has(entry, 'krblastpwdchange')) throw new EnrollmentError('already-enrolled', 'Host already enrolled.');
  const principal = first(entry, 'krbprincipalname') ?? `host/${fqdn}@${env.realm}`;
  const changes: Change[] = [];
  if (!has(entry, 'krbprincipalname')) {
    changes.push({ op: 'add', attr: 'krbprincipalname', values: [principal] });
    if (!has(entry, 'krbcanonicalname')) changes.push({ op: 'add', attr: 'krbcanonicalname', values: [principal] });
    const classes = (entry.attrs.objectclass ?? []).map((o) => o.toLowerCase());
    if (!classes.includes('krbprincipalaux')) changes.push({ op: 'add', attr: 'objectclass', values: ['krbPrincipalAux'] });
  }
  // ipa_pwd_extop.c store_new_keys / remove_user_password.
  changes.push({ op: 'replace', attr: 'krbprincipalkey', values: [`opaque-keys-${Date.now().toString(36)}`] });
  changes.push({ op: 'replace', attr: 'krblastpwdchange', values: [generalizedTime()] });
  if (!has(entry, 'enrolledby')) changes.push({ op: 'add', attr: 'enrolledby', values: [dn] });
  if (has(entry, 'userpassword')) changes.push({ op: 'replace', attr: 'userpassword', values: [] });
  await store.modify(dn, changes);
  return { principal, hostDn: dn };
}

/**
 * The options host_add and host_mod share and the attribute values they ask
 * for, validated like FreeIPA's params (MAC addresses, upper-cased), with
 * `random` for a generated one-time password.
 */
import type { CommandContext } from '../command.js';
import { get, p, validationError, type Params } from '../params.js';

/** Plain attribute options shared by host_add and host_mod (name = LDAP attribute). */
const ATTR_OPTIONS = ['description', 'l', 'nshostlocation', 'nshardwareplatform', 'nsosversion'];
const MULTI_ATTR_OPTIONS = ['usercertificate', 'macaddress', 'ipasshpubkey', 'userclass', 'krbprincipalauthind'];
const AUTH_INDICATORS = ['radius', 'otp', 'pkinit', 'hardened', 'idp', 'passkey'];

export const hostParams = [
  ...ATTR_OPTIONS.map((n) => p.str(n)),
  p.str('userpassword', { cli: 'password' }),
  p.flag('random'),
  p.certs('usercertificate', { cli: 'certificate' }),
  p.strs('macaddress'),
  p.strs('ipasshpubkey', { cli: 'sshpubkey' }),
  p.strs('userclass', { cli: 'class' }),
  p.strs('krbprincipalauthind', { cli: 'auth_ind', values: AUTH_INDICATORS }),
  p.bool('ipakrbrequirespreauth', { cli: 'requires_pre_auth' }),
  p.bool('ipakrbokasdelegate', { cli: 'ok_as_delegate' }),
  p.bool('ipakrboktoauthasdelegate', { cli: 'ok_to_auth_as_delegate' }),
];

export const fqdnArg = p.str('fqdn', { cli: 'hostname', required: true });

const MAC = /^([a-fA-F0-9]{2}[:|-]?){5}[a-fA-F0-9]{2}$/;

/** Attribute values the options ask for (null = delete), validated like the params. */
export function plannedAttrs(params: Params): Record<string, string[] | null> {
  const planned: Record<string, string[] | null> = {};
  for (const name of ATTR_OPTIONS) {
    if (get.given(params, name)) planned[name] = params[name] === null ? null : [get.str(params, name) as string];
  }
  for (const name of MULTI_ATTR_OPTIONS) {
    if (!get.given(params, name)) continue;
    let values = get.strs(params, name) ?? null;
    if (values && name === 'macaddress') {
      for (const v of values) {
        if (!MAC.test(v)) throw validationError('macaddress', 'Must be of the form HH:HH:HH:HH:HH:HH, where each H is a hexadecimal character.');
      }
      values = values.map((v) => v.toUpperCase());
    }
    planned[name] = values;
  }
  if (get.given(params, 'userpassword')) planned.userpassword = params.userpassword === null ? null : [get.str(params, 'userpassword') as string];
  return planned;
}

export function randomPasswordIf(ctx: CommandContext, params: Params): string | undefined {
  return get.flag(params, 'random') ? ctx.randomPassword() : undefined;
}

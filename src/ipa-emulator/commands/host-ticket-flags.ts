/**
 * A host's Kerberos ticket flags (krbTicketFlags) as the boolean options
 * requires_pre_auth, ok_as_delegate and ok_to_auth_as_delegate: the value
 * the options set, and the booleans shown back.
 */
import { get, type Params } from '../params.js';
import { first, type IpaEntry } from '../store.js';

const TICKET_FLAGS: Record<string, number> = {
  ipakrbrequirespreauth: 0x00000080,
  ipakrbokasdelegate: 0x00100000,
  ipakrboktoauthasdelegate: 0x00200000,
};
const DEFAULT_TICKET_FLAGS = 0x00000080;

/** update_krbticketflags: the new flags value, or undefined when no flag option was given. */
export function ticketFlags(params: Params, current: string | undefined): string | undefined {
  let add = 0;
  let remove = 0;
  for (const [name, bit] of Object.entries(TICKET_FLAGS)) {
    if (!get.given(params, name) || params[name] === null) continue;
    if (params[name] === true) add |= bit;
    else remove |= bit;
  }
  if (!add && !remove) return undefined;
  const base = current !== undefined && /^\d+$/.test(current) ? Number(current) : DEFAULT_TICKET_FLAGS;
  return String((base | add) & ~remove);
}

/** set_kerberos_attrs: the ticket-flag booleans, for the options given or with `all`. */
export function kerberosFlags(entry: IpaEntry, params: Params): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  if (get.flag(params, 'raw')) return out;
  const raw = first(entry, 'krbticketflags');
  const flags = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : DEFAULT_TICKET_FLAGS;
  for (const [name, bit] of Object.entries(TICKET_FLAGS)) {
    if (get.given(params, name) || get.flag(params, 'all')) out[name] = (flags & bit) !== 0;
  }
  return out;
}

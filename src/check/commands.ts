/** privilege_show: the one FreeIPA read `check` needs that the shared builders lack. */
import type { EntryOutput, IpaCommand } from '../freeipa/commands.js';

export function privilegeShow(name: string): IpaCommand<EntryOutput> {
  return { method: 'privilege_show', args: [name], options: {} };
}

/**
 * The binding of a FreeIPA host to the Nova instance that owns it (design B2),
 * kept in the host's `description`, an attribute every FreeIPA host already
 * has and that the "System: Read Hosts" permission lets any bind read. One
 * line of `key=value` words, so it stays readable in `ipa host-show`:
 *
 *   novajoin:v1 instance=<uuid> project=<project id> gen=<n> issued=<unix s>
 *   novajoin:v1 subhost project=<project id> [instance=<uuid>]
 *
 * `gen` counts the OTPs handed out for this instance (it moves on after a
 * rebuild), so every replica derives the same OTP from the binding alone (B1).
 * `issued` is when that OTP was set, for resync's "never enrolled" report.
 * A subhost carries `instance=` when it belongs to one instance (compact
 * services), and only `project=` when instances of a project share it
 * (managed services such as a VIP).
 */

export const BINDING_PREFIX = 'novajoin:v1';

export interface HostBinding {
  readonly kind: 'host';
  readonly instanceId: string;
  readonly projectId: string;
  readonly generation: number;
  readonly issuedAt: number;
}

export interface SubhostBinding {
  readonly kind: 'subhost';
  readonly projectId: string;
  readonly instanceId: string | null;
}

export type Binding = HostBinding | SubhostBinding;

export function formatBinding(binding: Binding): string {
  if (binding.kind === 'subhost') {
    const owner = binding.instanceId ? ` instance=${binding.instanceId}` : '';
    return `${BINDING_PREFIX} subhost project=${binding.projectId}${owner}`;
  }
  return `${BINDING_PREFIX} instance=${binding.instanceId} project=${binding.projectId} gen=${binding.generation} issued=${Math.floor(binding.issuedAt)}`;
}

/** Reads a binding from a host's descriptions; null when the host is not ours. */
export function parseBinding(descriptions: readonly string[] | string | undefined | null): Binding | null {
  const list = typeof descriptions === 'string' ? [descriptions] : descriptions ?? [];
  for (const text of list) {
    const words = text.trim().split(/\s+/);
    if (words[0] !== BINDING_PREFIX) continue;
    const fields = new Map<string, string>();
    for (const word of words.slice(1)) {
      const eq = word.indexOf('=');
      if (eq > 0) fields.set(word.slice(0, eq), word.slice(eq + 1));
    }
    const projectId = fields.get('project');
    if (!projectId) continue;
    if (words[1] === 'subhost') return { kind: 'subhost', projectId, instanceId: fields.get('instance') ?? null };
    const instanceId = fields.get('instance');
    const generation = Number(fields.get('gen'));
    const issuedAt = Number(fields.get('issued'));
    if (!instanceId || !Number.isSafeInteger(generation) || generation < 1) continue;
    return { kind: 'host', instanceId, projectId, generation, issuedAt: Number.isFinite(issuedAt) ? issuedAt : 0 };
  }
  return null;
}

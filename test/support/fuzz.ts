/**
 * Seeded generators for the fuzz test: random JSON, and mutations of a real
 * value (a Nova join body, a Nova notification). The seed is printed with
 * every failure; FUZZ_SEED=<n> replays a run exactly.
 */

export type Random = {
  readonly seed: number;
  next(): number;
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
};

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seeded(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  return { seed, next, int, pick: (items) => items[int(items.length)]!, chance: (p) => next() < p };
}

export function seedFromEnv(fallback: number): number {
  const raw = process.env['FUZZ_SEED'];
  return raw && /^\d+$/.test(raw) ? Number(raw) : fallback;
}

const ODD_STRINGS = [
  '', ' ', '.', '..', '-', 'a.', '.a', 'A'.repeat(64), 'a'.repeat(300), 'ünïcødé', '名前', '\u0000', '\ud800', 'a\nb', '../../etc/passwd',
  '${jndi:ldap://x}', "'; DROP TABLE hosts; --", '<script>', 'HTTP/host.example.test', 'host/évil@EXAMPLE.TEST', '*', '%00', 'True', 'false', '0', '1e309',
  'x'.repeat(70_000),
];

export function randomString(r: Random): string {
  if (r.chance(0.5)) return r.pick(ODD_STRINGS);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./@ {}[]"\\:*';
  return Array.from({ length: r.int(40) }, () => alphabet[r.int(alphabet.length)]).join('');
}

export function randomJson(r: Random, depth = 0): unknown {
  const kind = r.int(depth > 3 ? 5 : 7);
  switch (kind) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick([0, -1, 1.5, 2 ** 53 + 1, Number.MAX_VALUE, 1e-300]);
    case 3:
    case 4: return randomString(r);
    case 5: return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: r.int(5) }, () => [randomString(r).slice(0, 30), randomJson(r, depth + 1)]));
  }
}

/** Every path to a value inside `value`, objects and arrays included. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

/** A copy of `value` with one to three random changes: a value replaced, a key dropped, a key added. */
export function mutate<T>(r: Random, value: T): T {
  const copy = structuredClone(value) as unknown;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const all = paths(copy).filter((p) => p.length > 0);
    if (all.length === 0) break;
    const path = r.pick(all);
    const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], copy);
    const key = path[path.length - 1]!;
    const action = r.int(3);
    if (action === 0 && !Array.isArray(parent)) delete parent[key];
    else if (action === 1 && !Array.isArray(parent)) parent[randomString(r).slice(0, 40)] = randomJson(r);
    else parent[key] = randomJson(r);
  }
  return copy as T;
}

/** Bytes of `text` damaged the ways a wire damages them: cut, a byte changed, garbage appended. */
export function damage(r: Random, text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  switch (r.int(3)) {
    case 0: return bytes.subarray(0, r.int(bytes.length));
    case 1: {
      const copy = Buffer.from(bytes);
      copy[r.int(copy.length)] = r.int(256);
      return copy;
    }
    default: return Buffer.concat([bytes, Buffer.from([0xff, 0xfe, r.int(256)])]);
  }
}

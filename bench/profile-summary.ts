/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and lists where the time went:
 * self time by function and by file, and inclusive time of our own source
 * files' functions, so a hot spot can be named by file and function without
 * opening DevTools.
 *
 * Usage (also called by run.ts --profile): tsx bench/profile-summary.ts FILE [top]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const shortUrl = (url: string) => {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const i = path.indexOf('/node_modules/');
  if (i >= 0) return path.slice(i + 1);
  const repo = path.search(/\/(src|bench|test)\//);
  return repo >= 0 ? path.slice(repo + 1) : path;
};
const frameName = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;

export function summariseProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = profile.endTime - profile.startTime;

  const selfByFunction = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const inclusiveOwn = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    // A native function (writev, Hmac...) is named with the nearest JS caller, which says what it was for.
    let label = frameName(f);
    if (!f.url && !f.functionName.startsWith('(')) {
      for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
        const caller = byId.get(cur)!.callFrame;
        if (caller.url && !caller.url.startsWith('node:')) {
          label += ` < ${frameName(caller)}`;
          break;
        }
      }
    }
    selfByFunction.set(label, (selfByFunction.get(label) ?? 0) + us);
    selfByFile.set(shortUrl(f.url), (selfByFile.get(shortUrl(f.url)) ?? 0) + us);
    // Inclusive time of our own functions: every src/ frame on this sample's stack, once each.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      if (!/\/(src)\//.test(frame.url)) continue;
      const name = frameName(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusiveOwn.set(name, (inclusiveOwn.get(name) ?? 0) + us);
    }
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => `${((us / busyUs) * 100).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `  ${pct(us)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  return [
    `CPU profile ${file}`,
    `  ${(totalUs / 1e6).toFixed(1)} s recorded, ${(busyUs / 1e6).toFixed(1)} s busy (percentages are of busy time)`,
    'Self time by function:',
    ...list(selfByFunction, top),
    'Self time by file:',
    ...list(selfByFile, 15),
    'Inclusive time of src/ functions:',
    ...list(inclusiveOwn, top),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summariseProfile(file, Number(process.argv[3] ?? 25))}\n`);
}

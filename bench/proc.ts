/**
 * The benchmark's child processes: forked TypeScript entry points (through
 * tsx), their first 'ready' message, request/answer over IPC with a
 * deadline, memory read from /proc, and a stop that escalates from SIGTERM
 * to SIGKILL so that nothing outlives the run.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * How the services run: 'bundle' is plain JavaScript (the TypeScript bundled
 * by esbuild, packages left to node_modules), as in production where
 * dist/ is run, so the RSS is the service's and not also tsx's loader thread;
 * 'tsx' runs the sources through tsx, which keeps file names in CPU profiles.
 */
export type Runtime = 'bundle' | 'tsx';

/** Where bundles go: under node_modules, so that their bare imports (koa, amqplib...) resolve. */
const BUNDLE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'novajoin-bench', String(process.pid));
const ESBUILD = join(REPO_ROOT, 'node_modules', '.bin', 'esbuild');

export function bundleAvailable(): boolean {
  return existsSync(ESBUILD);
}

/** Bundles one entry point (relative to the repository) into an .mjs; esbuild comes with tsx. */
export async function bundle(script: string): Promise<string> {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const out = join(BUNDLE_DIR, basename(script).replace(/\.ts$/, '.mjs'));
  await new Promise<void>((resolve, reject) => {
    execFile(
      ESBUILD,
      [script, '--bundle', '--platform=node', '--format=esm', '--packages=external', '--target=node20', `--outfile=${out}`, '--log-level=warning'],
      { cwd: REPO_ROOT, timeout: 60_000 },
      (error, _stdout, stderr) => (error ? reject(new Error(`esbuild ${script}: ${stderr || error.message}`)) : resolve()),
    );
  });
  return out;
}

export function removeBundles(): void {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
}

export interface Child<Ready> {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly ready: Ready;
  /** Sends `message` and resolves with the first message whose type is `replyType`. */
  ask<T>(message: unknown, replyType: string, timeoutMs?: number): Promise<T>;
  stop(timeoutMs?: number): Promise<void>;
}

export interface ForkOptions {
  readonly args?: readonly string[];
  /** Default 'tsx'. */
  readonly runtime?: Runtime;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** File descriptor for the child's stdout and stderr; 'ignore' if absent. */
  readonly logFd?: number;
  readonly readyTimeoutMs?: number;
}

export async function forkTs<Ready extends { type: string }>(script: string, opts: ForkOptions = {}): Promise<Child<Ready>> {
  const out = opts.logFd ?? 'ignore';
  const bundled = opts.runtime === 'bundle';
  const child = fork(bundled ? await bundle(script) : script, [...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    execArgv: [...(bundled ? [] : ['--import', 'tsx']), ...(opts.nodeFlags ?? [])],
    stdio: ['ignore', out, out, 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`${script} did not say ready within ${opts.readyTimeoutMs ?? 60_000} ms`));
    }, opts.readyTimeoutMs ?? 60_000);
    const onMessage = (message: Ready) => {
      if (message?.type !== 'ready') return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${script} exited before it was ready (code ${code}, signal ${signal}); see its log`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  return {
    process: child,
    pid: child.pid!,
    ready,
    ask<T>(message: unknown, replyType: string, timeoutMs = 600_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${script}: no '${replyType}' answer within ${timeoutMs} ms`));
        }, timeoutMs);
        const onMessage = (reply: { type: string; message?: string }) => {
          if (reply?.type === 'error') {
            cleanup();
            reject(new Error(`${script}: ${reply.message}`));
          } else if (reply?.type === replyType) {
            cleanup();
            resolve(reply as T);
          }
        };
        const onExit = () => {
          cleanup();
          reject(new Error(`${script} exited while asked for '${replyType}'`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send(message as never);
      });
    },
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU time (user + system) a live process has used, in ms, from /proc/<pid>/stat; NaN once it is gone. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** CPU time all processes of the machine have used, in ms (busy = not idle, not iowait), from /proc/stat. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10;
}

export interface Memory {
  /** Resident set now, bytes. */
  readonly rss: number;
  /** Peak resident set of the process's life (VmHWM), bytes. */
  readonly peak: number;
}

/** VmRSS and VmHWM of a live process, from /proc/<pid>/status; null once it is gone. */
export function memoryOf(pid: number): Memory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Polls a process's RSS; `peak()` is the highest sample (and VmHWM, which the kernel keeps). */
export function watchMemory(pid: number, everyMs = 100): { peak(): number; stop(): number } {
  let peak = 0;
  const sample = () => {
    const m = memoryOf(pid);
    if (m) peak = Math.max(peak, m.rss);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

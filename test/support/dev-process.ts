/**
 * `novajoin dev` as an operator starts it: the built binary
 * (dist/bin/novajoin.js, test/support/built-cli.ts) in a process of its
 * own, ready once it has printed its summary; and stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { builtPackage } from './built-cli.js';

export interface DevProcess {
  readonly child: ChildProcess;
  /** http://127.0.0.1:<port>, the vendordata endpoint's base. */
  readonly url: string;
  /** The join.conf dev wrote. */
  readonly confFile: string;
  /** Everything printed so far. */
  stdout(): string;
}

export async function startDev(args: readonly string[]): Promise<DevProcess> {
  const pkg = await builtPackage();
  const child = spawn(process.execPath, [join(pkg, 'dist', 'bin', 'novajoin.js'), 'dev', ...args], { cwd: pkg, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`novajoin dev did not start:\n${stdout}\n${stderr}`)), 90_000);
    const ready = () => {
      if (!stdout.includes('Ctrl-C')) return;
      clearTimeout(timer);
      child.stdout!.off('data', ready);
      resolve();
    };
    child.stdout!.on('data', ready);
    child.once('exit', (code) => reject(new Error(`novajoin dev exited ${code}:\n${stdout}\n${stderr}`)));
  });
  const confFile = /Its configuration: (\S+)/.exec(stdout)?.[1];
  const url = /Vendordata target: (\S+)\/v1\//.exec(stdout)?.[1];
  if (!confFile || !url) throw new Error(`novajoin dev printed no configuration or target:\n${stdout}`);
  return { child, url, confFile, stdout: () => stdout };
}

/** SIGTERM, then its exit code (0 after a clean stop). */
export function stopDev(dev: DevProcess): Promise<number | null> {
  if (dev.child.exitCode !== null) return Promise.resolve(dev.child.exitCode);
  return new Promise((resolve) => {
    dev.child.once('exit', (code) => resolve(code));
    dev.child.kill('SIGTERM');
  });
}

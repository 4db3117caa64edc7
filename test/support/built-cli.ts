/**
 * The real binaries, as `npm run build` makes them: src compiled with
 * tsconfig.build.json, run as `node dist/bin/<name>.js`. They are built into
 * a private directory (with the package.json and node_modules they read)
 * rather than the repository's dist/, which `npm pack` in another test
 * rewrites while these run. One build per version of src, shared by the test
 * files that need it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectOutput, type CliResult } from './novajoin-cli.js';
import { runCommand } from './tmp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./resolve-preload.ts', import.meta.url));

export type Binary = 'novajoin' | 'novajoin-server' | 'novajoin-notify';

let built: Promise<string> | undefined;

/** The directory holding dist/, package.json and node_modules; built on first use. */
export function builtPackage(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  const target = join(tmpdir(), `novajoin-built-${await sourceHash()}`);
  if (existsSync(join(target, 'dist', 'bin', 'novajoin.js'))) return target;
  const staging = `${target}.${process.pid}.${Date.now()}`;
  await mkdir(staging, { recursive: true });
  await runCommand(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(staging, 'dist')], { timeoutMs: 300_000 });
  await copyFile(join(ROOT, 'package.json'), join(staging, 'package.json'));
  await symlink(join(ROOT, 'node_modules'), join(staging, 'node_modules'));
  try {
    await rename(staging, target);
  } catch {
    // Another test file built the same sources first.
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else hash.update(`${relative(ROOT, path)}\0${(await stat(path)).size}\0`).update(await readFile(path));
    }
  };
  await walk(join(ROOT, 'src'));
  hash.update(await readFile(join(ROOT, 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Runs a built binary. `resolveHosts` adds the tests' name resolution
 * (NOVAJOIN_TEST_HOSTS) through a preload, which needs the TypeScript loader;
 * without it the binary runs on plain node.
 */
export async function runBuilt(binary: Binary, args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number; resolveHosts?: boolean } = {}): Promise<CliResult> {
  const dir = await builtPackage();
  const preload = opts.resolveHosts ? ['--import', 'tsx', '--import', PRELOAD] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...preload, join(dir, 'dist', 'bin', `${binary}.js`), ...args], {
      cwd: dir,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    collectOutput(child, opts.timeoutMs ?? 120_000, resolve, reject);
  });
}

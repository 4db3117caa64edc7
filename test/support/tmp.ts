/**
 * Small process and filesystem helpers shared by the test servers (KDC,
 * dirsrv, TLS material). The process ones are the product's own (src/dev/child.ts,
 * which `novajoin dev --kerberos` uses for its KDC).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh private directory under the system temp dir. */
export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 3 });
}

export { freePort, killOnExit, runCommand, waitForPort, type RunOptions, type RunResult } from '../../src/dev/child.js';

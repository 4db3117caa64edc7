/**
 * Child processes and ports for the servers `novajoin dev` starts beside
 * itself (the KDC), and that the tests start too. Every child gets a
 * deadline: a hung kadmin.local must fail the start, not stall it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/**
 * A port that was free a moment ago: bind 127.0.0.1:0, read the port, close.
 * There is a window in which someone else can take it; the servers started on
 * it fail loudly if that happens, so callers may retry.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((err) => (err ? reject(err) : port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Resolves once a TCP connect to 127.0.0.1:port succeeds; rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs: number, isAlive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      const done = (result: boolean) => {
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
    if (ok) return;
    if (isAlive && !isAlive()) throw new Error(`process exited before port ${port} opened`);
    if (Date.now() >= deadline) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Kills a long-running server child (krb5kdc, dirsrv) when this process exits,
 * even when it exits before the code that owns the child could stop it: no
 * orphan holding a port after `novajoin dev` or a test is gone.
 */
export function killOnExit(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
}

export interface RunOptions {
  /** Extra environment, merged over process.env. */
  readonly env?: Record<string, string>;
  /** Written to the child's stdin, which is then closed. */
  readonly input?: string;
  /** Default 30 s. The child is killed (SIGKILL) when it passes. */
  readonly timeoutMs?: number;
  /** Resolve even on a non-zero exit (the caller inspects `code`). */
  readonly allowFailure?: boolean;
  /** Keep the arguments out of error messages (they hold a password). */
  readonly secretArgs?: boolean;
  /** Working directory of the child; this process's by default. */
  readonly cwd?: string;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Runs a command to completion; rejects on a non-zero exit with stderr in the message. */
export function runCommand(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${err.message}`, { cause: err }));
    });
    const shown = options.secretArgs ? `${cmd} (arguments hidden)` : `${cmd} ${args.join(' ')}`;
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result = { stdout, stderr, code: code ?? -1 };
      if (timedOut) reject(new Error(`${shown}: timed out after ${timeoutMs} ms; stderr: ${stderr.trim()}`));
      else if (code === 0 || options.allowFailure) resolve(result);
      else
        reject(
          new Error(`${shown}: exit ${code ?? signal}; stderr: ${stderr.trim() || stdout.trim()}`),
        );
    });
    // A child that does not read stdin closes it early: ignore EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

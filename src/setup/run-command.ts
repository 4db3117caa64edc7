/**
 * Runs a helper program (kinit, klist, ipa-getkeytab) with a deadline, input
 * on stdin only (a password never goes on a command line, where `ps` shows
 * it), and its output kept for the error message.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandFailed extends Error {
  constructor(message: string, readonly result?: CommandResult) {
    super(message);
    this.name = 'CommandFailed';
  }
}

export function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new CommandFailed(`${command} did not finish within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CommandFailed(error.code === 'ENOENT' ? `${command} is not installed (or not on PATH)` : `${command}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // a program that exits without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** The last lines of a program's complaint, for a one-line error. */
export function tail(text: string, lines = 3): string {
  return text.trim().split('\n').slice(-lines).join(' / ');
}

/**
 * The admin password: from a file (--password-file), or typed at a prompt
 * that does not echo. Never from the command line, where `ps` and shell
 * history would keep it.
 */
import { readFile } from 'node:fs/promises';

export async function passwordFromFile(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read --password-file ${path}: ${error.code ?? error.message}`);
  });
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new Error(`--password-file ${path} is empty`);
  return password;
}

/** Reads a line from the terminal with echo off; Ctrl-C or Ctrl-D abort. */
export function promptPassword(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    return Promise.reject(new Error('no terminal to ask for the password on; use --password-file'));
  }
  return new Promise((resolve, reject) => {
    let value = '';
    output.write(prompt);
    input.setRawMode(true);
    input.resume();
    const finish = (error: Error | null) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(value ? null : new Error('empty password'));
        if (char === '\u0003' || char === '\u0004') return finish(new Error('password prompt aborted'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

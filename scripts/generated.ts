/** Shared by the scripts that write generated files into the repository. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (this file is in scripts/). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** True when the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(resolve(entry)).href === url;
}

/** Writes each file (path relative to the repository) and names it. */
export function writeGenerated(files: ReadonlyMap<string, string>): void {
  for (const [path, content] of files) {
    const target = resolve(REPO, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}

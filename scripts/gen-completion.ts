/** Writes completion/novajoin.bash, the script `novajoin completion bash` prints, shipped in the package. */
import { bashCompletion } from '../src/cli/completion.js';
import { isMain, writeGenerated } from './generated.js';

export const COMPLETION_FILE = 'completion/novajoin.bash';

export function generatedFiles(): Map<string, string> {
  return new Map([[COMPLETION_FILE, bashCompletion()]]);
}

if (isMain(import.meta.url)) writeGenerated(generatedFiles());

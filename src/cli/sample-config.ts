import { parseArgs } from 'node:util';
import { renderSample } from '../config/sample.js';
import { EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE } from './exit.js';

const USAGE = `Usage: novajoin sample-config

Prints a join.conf with every option, commented out, with its default.

  -h, --help  this text

${EXIT_STATUS_HELP}`;

export async function run(argv: string[]): Promise<number> {
  let help: boolean | undefined;
  try {
    ({ values: { help } } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    process.stderr.write(`novajoin sample-config: ${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  process.stdout.write(help ? USAGE : renderSample());
  return EXIT_OK;
}

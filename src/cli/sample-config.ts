import { renderSample } from '../config/sample.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write('Usage: novajoin sample-config\n\nPrints a join.conf with every option, commented out, with its default.\n');
    return 0;
  }
  process.stdout.write(renderSample());
  return 0;
}

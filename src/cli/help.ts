/** `novajoin help [command]`: the top-level help, or a command's own --help. */
import { COMMANDS } from './commands.js';
import { EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE } from './exit.js';

export function usage(): string {
  const list = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`)
    .join('\n');
  return `Usage: novajoin <command> [options]
       novajoin help <command>     (or novajoin <command> --help) for a command's options
       novajoin --version

Commands:
${list}

Options every command takes: --config-file FILE, --log-format json|text|auto, --debug, -h/--help.

${EXIT_STATUS_HELP}`;
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (!command || rest.length > 0) {
    process.stderr.write(`novajoin help: ${command ? 'takes one command name' : `unknown command "${name}"`}\n${usage()}`);
    return EXIT_USAGE;
  }
  return (await command.load()).run(['--help']);
}

#!/usr/bin/env node
/** novajoin: the operator's command (resync, ipa-setup, check, dev, sample-config, completion, help). */
import { packageVersion, runMain } from '../cli/common.js';
import { COMMANDS } from '../cli/commands.js';
import { EXIT_OK, EXIT_USAGE } from '../cli/exit.js';
import { usage } from '../cli/help.js';

const [name, ...rest] = process.argv.slice(2);
await runMain(async () => {
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return EXIT_OK;
  }
  if (!name) {
    process.stderr.write(`novajoin: name a command\n${usage()}`);
    return EXIT_USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`novajoin: unknown command "${name}"\n${usage()}`);
    return EXIT_USAGE;
  }
  return (await command.load()).run(rest);
}, 1, name && COMMANDS[name] ? `novajoin ${name}: ` : 'novajoin: ');

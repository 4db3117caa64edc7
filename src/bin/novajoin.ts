#!/usr/bin/env node
/** novajoin: the operator's command (resync, ipa-setup, check, dev, sample-config). */
import { packageVersion, runMain } from '../cli/common.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  dev: { summary: 'run the server on loopback with an embedded FreeIPA and no Keystone (not for production)', load: () => import('../cli/dev.js') },
  resync: { summary: 'compare FreeIPA with Nova and show (or --apply) the plan', load: () => import('../cli/resync.js') },
  'ipa-setup': { summary: 'prepare FreeIPA: role, privilege, permissions, service principal, keytab', load: () => import('../cli/ipa-setup.js') },
  dlq: { summary: 'list the dead-lettered notifications, or replay them after a fix', load: () => import('../cli/dlq.js') },
  check: { summary: 'check configuration and every dependency, one line each', load: () => import('../cli/check.js') },
  'sample-config': { summary: 'print a join.conf with every option and its default', load: () => import('../cli/sample-config.js') },
};

const usage = () =>
  `Usage: novajoin <command> [options]   (novajoin <command> --help for its options)\n\nCommands:\n${Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`)
    .join('\n')}\n`;

await runMain(async () => {
  const [name, ...rest] = process.argv.slice(2);
  if (name === '--version' || name === 'version') return void process.stdout.write(`${packageVersion()}\n`);
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`novajoin: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
});

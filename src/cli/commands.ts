/**
 * The table of `novajoin` subcommands: what the dispatcher runs, what the
 * top-level help lists and what shell completion offers. Each command parses
 * its own options; `flags` is the list completion offers (a test compares it
 * with each command's --help).
 */
export interface CommandEntry {
  readonly summary: string;
  readonly flags: readonly string[];
  load(): Promise<{ run(argv: string[]): Promise<number> }>;
}

const COMMON = ['--config-file', '--config', '--log-format', '--debug', '--help', '-h'];

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  dev: {
    summary: 'run the server on loopback with an embedded FreeIPA and no Keystone (not for production)',
    flags: ['--port', '--listen', '--domain', '--ipa-port', '--ipa-name', '--kerberos', '--dir', '--no-notify', '--allow-remote', ...COMMON],
    load: () => import('./dev.js'),
  },
  resync: {
    summary: 'compare FreeIPA with Nova and show (or --apply) the plan',
    flags: ['--apply', '--json', '--project', '--host', '--force', ...COMMON],
    load: () => import('./resync.js'),
  },
  'ipa-setup': {
    summary: 'prepare FreeIPA: role, privilege, permissions, service principal, keytab',
    flags: [
      '--password-file', '--user', '--hostname', '--principal', '--keytab', '--getkeytab-command',
      '--skip-keytab', '--rotate-keytab', '--precreate', '--otp-file', ...COMMON,
    ],
    load: () => import('./ipa-setup.js'),
  },
  dlq: {
    summary: 'list the dead-lettered notifications, or replay them after a fix',
    flags: ['list', 'replay', '--json', '--id', '--all', '--dry-run', ...COMMON],
    load: () => import('./dlq.js'),
  },
  check: {
    summary: 'check configuration and every dependency, one line each',
    flags: ['--timeout', '--json', ...COMMON],
    load: () => import('./check.js'),
  },
  'sample-config': {
    summary: 'print a join.conf with every option and its default',
    flags: ['--help', '-h'],
    load: () => import('./sample-config.js'),
  },
  completion: {
    summary: 'print the shell completion script (novajoin completion bash)',
    flags: ['--help', '-h'],
    load: () => import('./completion.js'),
  },
  help: {
    summary: 'show the help of a command (novajoin help <command>)',
    flags: [],
    load: () => import('./help.js'),
  },
};

/** Completion of `--log-format`'s value. */
export const LOG_FORMATS = ['auto', 'json', 'text'] as const;

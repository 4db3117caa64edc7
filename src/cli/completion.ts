/**
 * `novajoin completion bash`: a bash completion script for novajoin and the
 * two daemons, made from the command table, so it cannot name a command that
 * does not exist. The package ships the same text in
 * completion/novajoin.bash (`npm run gen` writes it).
 */
import { COMMANDS, LOG_FORMATS } from './commands.js';
import { EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE } from './exit.js';

const USAGE = `Usage: novajoin completion bash

Prints a bash completion script for novajoin, novajoin-server and novajoin-notify.
Install it with:
  novajoin completion bash | sudo tee /usr/share/bash-completion/completions/novajoin
or source it from ~/.bashrc: source <(novajoin completion bash)

${EXIT_STATUS_HELP}`;

const DAEMON_FLAGS = ['--config-file', '--config', '--log-format', '--debug', '--help', '-h', '--version'];

export function bashCompletion(): string {
  const names = Object.keys(COMMANDS);
  const cases = Object.entries(COMMANDS)
    .filter(([, c]) => c.flags.length > 0)
    .map(([name, c]) => `    ${name}) flags="${c.flags.join(' ')}" ;;`)
    .join('\n');
  return `# bash completion for novajoin, novajoin-server and novajoin-notify
# Generated from the command table (src/cli/commands.ts): npm run gen.

_novajoin_value() {
  case "$1" in
    --config-file|--config|--password-file|--keytab|--otp-file) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --dir) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
    --log-format) COMPREPLY=($(compgen -W "${LOG_FORMATS.join(' ')}" -- "$cur")); return 0 ;;
  esac
  return 1
}

_novajoin() {
  local cur prev cmd flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  _novajoin_value "$prev" && return 0
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${names.join(' ')} --help -h --version" -- "$cur"))
    return 0
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$cmd" in
    help) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "${names.filter((n) => n !== 'help').join(' ')}" -- "$cur")); return 0 ;;
    completion) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "bash" -- "$cur")); return 0 ;;
  esac
  case "$cmd" in
${cases}
    *) return 0 ;;
  esac
  COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}

_novajoin_daemon() {
  local cur prev
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  _novajoin_value "$prev" && return 0
  COMPREPLY=($(compgen -W "${DAEMON_FLAGS.join(' ')}" -- "$cur"))
}

complete -F _novajoin novajoin
complete -F _novajoin_daemon novajoin-server novajoin-notify
`;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (argv.length !== 1 || argv[0] !== 'bash') {
    process.stderr.write(`novajoin completion: ${argv.length ? `"${argv.join(' ')}" is not a shell this supports` : 'name the shell'}; only bash\n${USAGE}`);
    return EXIT_USAGE;
  }
  process.stdout.write(bashCompletion());
  return EXIT_OK;
}

# bash completion for novajoin, novajoin-server and novajoin-notify
# Generated from the command table (src/cli/commands.ts): npm run gen.

_novajoin_value() {
  case "$1" in
    --config-file|--config|--password-file|--keytab|--otp-file) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --dir) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
    --log-format) COMPREPLY=($(compgen -W "auto json text" -- "$cur")); return 0 ;;
  esac
  return 1
}

_novajoin() {
  local cur prev cmd flags
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  _novajoin_value "$prev" && return 0
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "dev resync ipa-setup dlq check sample-config completion help --help -h --version" -- "$cur"))
    return 0
  fi
  cmd="${COMP_WORDS[1]}"
  case "$cmd" in
    help) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "dev resync ipa-setup dlq check sample-config completion" -- "$cur")); return 0 ;;
    completion) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "bash" -- "$cur")); return 0 ;;
  esac
  case "$cmd" in
    dev) flags="--port --listen --domain --ipa-port --ipa-name --kerberos --dir --no-notify --allow-remote --config-file --config --log-format --debug --help -h" ;;
    resync) flags="--apply --json --project --host --force --config-file --config --log-format --debug --help -h" ;;
    ipa-setup) flags="--password-file --user --hostname --principal --keytab --getkeytab-command --skip-keytab --rotate-keytab --precreate --otp-file --config-file --config --log-format --debug --help -h" ;;
    dlq) flags="list replay --json --id --all --dry-run --config-file --config --log-format --debug --help -h" ;;
    check) flags="--timeout --json --config-file --config --log-format --debug --help -h" ;;
    sample-config) flags="--help -h" ;;
    completion) flags="--help -h" ;;
    *) return 0 ;;
  esac
  COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}

_novajoin_daemon() {
  local cur prev
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  _novajoin_value "$prev" && return 0
  COMPREPLY=($(compgen -W "--config-file --config --log-format --debug --help -h --version" -- "$cur"))
}

complete -F _novajoin novajoin
complete -F _novajoin_daemon novajoin-server novajoin-notify

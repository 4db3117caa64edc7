/**
 * `novajoin dlq list` and `novajoin dlq replay`: what the listener gave up
 * on, and sending it back once the cause is fixed (src/notify/dead-letters.ts
 * says how nothing is lost on the way).
 */
import { ConfigError } from '../config/errors.js';
import { loadBrokerTls } from '../notify/broker-tls.js';
import { listDeadLetters, replayDeadLetters, type DeadLetter } from '../notify/dead-letters.js';
import { parseTransportUrl } from '../notify/transport-url.js';
import { commandArgs, configFileArg, loadConfiguration } from './common.js';
import { EXIT_FINDINGS, EXIT_STATUS_HELP } from './exit.js';

const USAGE = `Usage: novajoin dlq list [--config-file FILE] [--json]
       novajoin dlq replay [--config-file FILE] (--id ID [--id ID ...] | --all) [--dry-run] [--json]

Shows the notifications the listener dead-lettered ([notifications] dead_letter_queue):
event type, message id, instance, why, when, and how many transient failures came first.
replay sends them back to the exchange and routing key Nova or Neutron published them
to, once the cause is fixed; each copy is confirmed by the broker before the dead-letter
copy is removed, so running it again replays only what is left.

  --id       a message id from the list (repeatable)
  --all      every message in the dead-letter queue
  --dry-run  say what would be replayed, move nothing
  --json     machine-readable output

list finds messages, or replay an id that is not there, or the broker cannot be reached: exit 1.
${EXIT_STATUS_HELP}`;

function table(letters: readonly DeadLetter[]): string {
  const rows = letters.map((l) => [l.failedAt ?? '-', l.eventType ?? '-', l.id, l.instance ?? '-', String(l.attempts), l.reason]);
  const head = ['failed at', 'event type', 'message id', 'instance', 'attempts', 'reason'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

export async function run(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === '--help' || action === '-h' || action === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (action !== 'list' && action !== 'replay') {
    process.stderr.write(`novajoin dlq: expected list or replay\n${USAGE}`);
    return 2;
  }
  const parsed = commandArgs('novajoin dlq', rest, {
    json: { type: 'boolean', default: false },
    id: { type: 'string', multiple: true, default: [] },
    all: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
  }, USAGE);
  if (parsed.exit !== undefined) return parsed.exit;
  const { values } = parsed;
  if (action === 'replay' && values.all === (values.id.length > 0)) {
    process.stderr.write(`novajoin dlq replay: give --id (one or more) or --all\n${USAGE}`);
    return 2;
  }
  let options;
  try {
    const { config } = loadConfiguration(configFileArg(values));
    const n = config.notifications;
    options = { endpoints: parseTransportUrl(n.transportUrl, loadBrokerTls(n.tls)), queue: n.deadLetterQueue, timeoutMs: 10_000 };
  } catch (error) {
    process.stderr.write(`novajoin dlq: ${error instanceof ConfigError ? `configuration error: ${error.message}` : (error as Error).message}\n`);
    return 2;
  }
  try {
    if (action === 'list') {
      const letters = await listDeadLetters(options);
      process.stdout.write(values.json ? `${JSON.stringify({ queue: options.queue, messages: letters }, null, 2)}\n` : letters.length ? table(letters) : `${options.queue} is empty\n`);
      return letters.length ? 1 : 0;
    }
    const result = await replayDeadLetters({ ...options, ids: values.all ? 'all' : values.id, dryRun: values['dry-run'] });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ queue: options.queue, dryRun: values['dry-run'], ...result }, null, 2)}\n`);
    } else {
      const verb = values['dry-run'] ? 'would replay' : 'replayed';
      for (const l of result.replayed) process.stdout.write(`${verb} ${l.id} (${l.eventType ?? 'unparsed'}) to ${l.exchange || '(default exchange)'} ${l.routingKey}\n`);
      for (const id of result.missing) process.stdout.write(`not found ${id} (already replayed, or never dead-lettered)\n`);
      process.stdout.write(`${result.kept} message(s) left in ${options.queue}\n`);
    }
    return result.missing.length ? 1 : 0;
  } catch (error) {
    process.stderr.write(`novajoin dlq ${action}: ${(error as Error).message}\n`);
    return EXIT_FINDINGS;
  }
}

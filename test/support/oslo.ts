/**
 * Real oslo.messaging publishers for the tests: the README's nova.conf and
 * neutron.conf blocks, read from README.md at test time (so the README cannot
 * drift from what is tested), completed the way an operator completes them
 * (transport_url, [oslo_messaging_rabbit]), and Debian's python3-oslo.messaging
 * publishing through its rabbit driver (oslo_notify.py). Each test file gets
 * a RabbitMQ virtual host of its own, so Nova's real names (`nova`,
 * `novajoin_notifications.info`) can be used on the shared broker.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Fixture } from './notify.js';
import { runCommand } from './tmp.js';

/** Debian's interpreter: python3-oslo.messaging is installed for it, not for a pyenv one. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./oslo_notify.py', import.meta.url));
const README = new URL('../../README.md', import.meta.url);

export type OsloSetting = 'default' | 'amqp_durable_queues' | 'rabbit_quorum_queue';
export const OSLO_SETTINGS: readonly OsloSetting[] = ['default', 'amqp_durable_queues', 'rabbit_quorum_queue'];

/** The join.conf [notifications] lines that match an oslo setting, as the README's table says. */
export function joinConfFor(setting: OsloSetting): { exchangeDurable: boolean; queueType: 'classic' | 'quorum' } {
  return { exchangeDurable: setting === 'amqp_durable_queues', queueType: setting === 'rabbit_quorum_queue' ? 'quorum' : 'classic' };
}

/** The first ```ini block after the README line that mentions `file` (nova.conf, neutron.conf) under "## Configuring Nova". */
export function readmeBlock(file: 'nova.conf' | 'neutron.conf'): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Configuring Nova'));
  const at = section.search(new RegExp(`\`${file.replace('.', '\\.')}\``));
  const block = at < 0 ? null : /```ini\n([\s\S]*?)```/.exec(section.slice(at));
  if (!block?.[1]) throw new Error(`README.md has no ini block for ${file} under "## Configuring Nova"`);
  return block[1];
}

export interface Vhost {
  readonly name: string;
  /** oslo form, for nova.conf and join.conf. */
  readonly transportUrl: string;
  /** amqplib form, for the test's own connections. */
  readonly amqpUrl: string;
  delete(): Promise<void>;
}

export async function createVhost(): Promise<Vhost> {
  const name = `novajoin-test-${randomUUID()}`;
  await runCommand('rabbitmqctl', ['-q', 'add_vhost', name], { timeoutMs: 90_000 });
  await runCommand('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*'], { timeoutMs: 90_000 });
  const encoded = encodeURIComponent(name);
  return {
    name,
    transportUrl: `rabbit://guest:guest@127.0.0.1:5672/${encoded}`,
    amqpUrl: `amqp://guest:guest@127.0.0.1:5672/${encoded}`,
    delete: async () => {
      await runCommand('rabbitmqctl', ['-q', 'delete_vhost', name], { timeoutMs: 90_000 });
    },
  };
}

export interface QueueRow {
  readonly name: string;
  readonly messages: number;
  readonly consumers: number;
  readonly durable: boolean;
  readonly type: string;
}

/** Every queue of the virtual host, as the broker lists it (AMQP cannot enumerate queues). */
export async function listQueues(vhost: Vhost): Promise<QueueRow[]> {
  const { stdout } = await runCommand('rabbitmqctl', ['-q', 'list_queues', '-p', vhost.name, '--no-table-headers', 'name', 'messages', 'consumers', 'durable', 'type'], { timeoutMs: 90_000 });
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', messages = '0', consumers = '0', durable = 'false', type = ''] = line.split('\t');
      return { name, messages: Number(messages), consumers: Number(consumers), durable: durable === 'true', type };
    });
}

export interface OsloConfOptions {
  readonly dir: string;
  readonly vhost: Vhost;
  readonly setting: OsloSetting;
  /** The service's config text; the README's block by default. */
  readonly base?: string;
  /** Extra INI text (e.g. a test's own topics or control_exchange). */
  readonly extra?: string;
}

/** A nova.conf (or neutron.conf) as an operator writes it: the README's block plus the deployment's own RabbitMQ settings. */
export function writeOsloConf(name: string, o: OsloConfOptions & { service: 'nova' | 'neutron' }): string {
  const rabbit =
    o.setting === 'amqp_durable_queues' ? ['amqp_durable_queues = true'] : o.setting === 'rabbit_quorum_queue' ? ['rabbit_quorum_queue = true'] : [];
  const text = [
    o.base ?? readmeBlock(o.service === 'nova' ? 'nova.conf' : 'neutron.conf'),
    '[DEFAULT]',
    `transport_url = ${o.vhost.transportUrl}`,
    '',
    '[oslo_messaging_rabbit]',
    ...rabbit,
    '',
    o.extra ?? '',
  ].join('\n');
  const file = join(o.dir, name);
  writeFileSync(file, text);
  return file;
}

export interface OsloMessage {
  readonly notifier: 'legacy' | 'versioned';
  readonly publisher_id: string;
  readonly event_type: string;
  readonly priority: string;
  readonly payload: unknown;
  readonly context?: Record<string, unknown>;
}

/** A captured Nova notification as the notifier call that produced it: same payload, publisher, event, priority and context. */
export function fromFixture(fixture: Fixture, edit?: (payload: Record<string, any>) => void): OsloMessage {
  const m = structuredClone(fixture.message) as Record<string, any>;
  const context: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(m)) if (key.startsWith('_context_')) context[key.slice('_context_'.length)] = value;
  const payload = m['payload'] as Record<string, any>;
  edit?.(payload['nova_object.data'] ?? payload);
  return {
    notifier: 'nova_object.name' in payload ? 'versioned' : 'legacy',
    publisher_id: String(m['publisher_id']),
    event_type: String(m['event_type']),
    priority: String(m['priority']),
    payload,
    context,
  };
}

/** Publishes through oslo.messaging's Notifier; rejects when oslo failed to send (it only logs that). */
export async function osloPublish(confFile: string, service: 'nova' | 'neutron', messages: readonly OsloMessage[]): Promise<number> {
  const { stdout } = await runCommand(PYTHON, [SCRIPT, '--config-file', confFile, '--service', service], { input: JSON.stringify(messages), timeoutMs: 90_000 });
  return (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { published?: number }).published ?? 0;
}

/** Runs oslo's notifier, expecting it to fail; resolves with its stderr. */
export async function osloPublishFailure(confFile: string, service: 'nova' | 'neutron', messages: readonly OsloMessage[]): Promise<string> {
  const r = await runCommand(PYTHON, [SCRIPT, '--config-file', confFile, '--service', service, '--retry', '0'], { input: JSON.stringify(messages), timeoutMs: 90_000, allowFailure: true });
  if (r.code === 0) throw new Error('oslo.messaging published, a failure was expected');
  return r.stderr;
}

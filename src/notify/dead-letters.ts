/**
 * The dead-letter queue seen by an operator: what is in it, and moving
 * messages back to where Nova or Neutron published them once the cause is
 * fixed. Messages are taken with basic.get and not acknowledged, so a list
 * changes nothing (closing the channel returns them); a replay republishes a
 * copy to its original exchange and routing key with publisher confirms and
 * acknowledges the dead-letter copy only after the broker confirmed it, so a
 * failure half-way loses nothing and a second run replays only what is left.
 */
import { connect, type ConfirmChannel, type GetMessage } from 'amqplib';
import { parseOsloMessage } from './envelope.js';
import { attemptOf, copyOptions, HEADER, originOf } from './republish.js';
import type { AmqpEndpoint } from './transport-url.js';

export interface DeadLetter {
  /** oslo's message_id, else _unique_id, else the AMQP message id: what `--id` matches. */
  readonly id: string;
  readonly eventType: string | null;
  readonly instance: string | null;
  readonly reason: string;
  readonly failedAt: string | null;
  readonly attempts: number;
  readonly exchange: string;
  readonly routingKey: string;
}

export interface DeadLetterOptions {
  readonly endpoints: readonly AmqpEndpoint[];
  readonly queue: string;
  readonly timeoutMs: number;
}

function instanceOf(payload: unknown): string | null {
  const data = (payload as { 'nova_object.data'?: Record<string, unknown> } | null)?.['nova_object.data'] ?? (payload as Record<string, unknown> | null);
  for (const key of ['uuid', 'instance_id']) {
    const value = data?.[key];
    if (typeof value === 'string') return value;
  }
  const fip = (payload as { floatingip?: { port_id?: unknown } } | null)?.floatingip;
  return typeof fip?.port_id === 'string' ? `port ${fip.port_id}` : null;
}

export function describeDeadLetter(msg: GetMessage): DeadLetter {
  const headers = msg.properties.headers ?? {};
  const text = (key: string) => (typeof headers[key] === 'string' ? (headers[key] as string) : null);
  let parsed: ReturnType<typeof parseOsloMessage> | null = null;
  try {
    parsed = parseOsloMessage(msg.content);
  } catch {
    // A poison message: it is listed with what its headers say.
  }
  const origin = originOf(msg);
  return {
    id: parsed?.messageId || parsed?.uniqueId || text(HEADER.messageId) || (msg.properties.messageId as string | undefined) || `#${msg.fields.deliveryTag}`,
    eventType: parsed?.eventType ?? text(HEADER.eventType),
    instance: parsed ? instanceOf(parsed.payload) : null,
    reason: text(HEADER.reason) ?? '',
    failedAt: text(HEADER.failedAt),
    attempts: attemptOf(msg),
    ...origin,
  };
}

async function open(options: DeadLetterOptions): Promise<{ close(): Promise<void>; channel: ConfirmChannel; endpoint: AmqpEndpoint }> {
  let last: unknown = new Error('transport_url names no broker');
  for (const endpoint of options.endpoints) {
    try {
      const model = await connect({ heartbeat: 0, ...endpoint.options }, { ...endpoint.socket, timeout: options.timeoutMs, clientProperties: { connection_name: 'novajoin dlq' } });
      model.on('error', () => undefined);
      const channel = await model.createConfirmChannel();
      channel.on('error', () => undefined);
      // The channel first: its close is ordered after our acks on the same channel, a connection close is not.
      const close = async () => {
        await channel.close().catch(() => undefined);
        await model.close().catch(() => undefined);
      };
      return { channel, endpoint, close };
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

async function takeAll(channel: ConfirmChannel, queue: string): Promise<GetMessage[]> {
  await channel.checkQueue(queue);
  const taken: GetMessage[] = [];
  for (;;) {
    const msg = await channel.get(queue, { noAck: false });
    if (msg === false) return taken;
    taken.push(msg);
  }
}

export async function listDeadLetters(options: DeadLetterOptions): Promise<DeadLetter[]> {
  const { channel, close } = await open(options);
  try {
    return (await takeAll(channel, options.queue)).map(describeDeadLetter);
  } finally {
    await close(); // unacknowledged: every message goes back
  }
}

export interface ReplayResult {
  readonly replayed: DeadLetter[];
  /** Asked for by id and not in the queue (already replayed, or never there). */
  readonly missing: string[];
  readonly kept: number;
}

export async function replayDeadLetters(options: DeadLetterOptions & { readonly ids: readonly string[] | 'all'; readonly dryRun: boolean }): Promise<ReplayResult> {
  const { channel, close } = await open(options);
  try {
    const taken = (await takeAll(channel, options.queue)).map((msg) => ({ msg, letter: describeDeadLetter(msg) }));
    const wanted = options.ids === 'all' ? null : new Set(options.ids);
    const chosen = taken.filter(({ letter }) => wanted === null || wanted.has(letter.id));
    const missing = wanted === null ? [] : [...wanted].filter((id) => !chosen.some(({ letter }) => letter.id === id));
    if (!options.dryRun) {
      for (const { msg, letter } of chosen) {
        // A fresh start: no reason, no failure time, attempt 0; origin kept so the copy is routed as Nova sent it.
        const publish = copyOptions(msg, { [HEADER.attempt]: 0 });
        for (const key of [HEADER.reason, HEADER.failedAt, HEADER.lastError]) delete (publish.headers as Record<string, unknown>)[key];
        await new Promise<void>((resolve, reject) =>
          channel.publish(letter.exchange, letter.routingKey, msg.content, publish, (err) => (err ? reject(err) : resolve())),
        );
        channel.ack(msg);
      }
      await channel.waitForConfirms();
    }
    return { replayed: chosen.map((c) => c.letter), missing, kept: taken.length - (options.dryRun ? 0 : chosen.length) };
  } finally {
    await close();
  }
}

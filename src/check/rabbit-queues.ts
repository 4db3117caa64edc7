/**
 * `novajoin check` for the queues of our topic: oslo.messaging's publishers
 * declare `<topic>.<priority>` themselves, and one nobody reads grows until
 * RabbitMQ's alarms block the cloud. The management API may be off, so this
 * speaks AMQP: a passive declare answers message and consumer counts, and a
 * declare with our arguments on an existing queue or exchange fails (406) when
 * they differ from what oslo declared, which is what would stop the listener.
 * Each probe gets a channel of its own: a failed declare closes its channel.
 */
import { connect, type ChannelModel } from 'amqplib';
import type { Config } from '../config/types.js';
import { OSLO_PRIORITIES, osloExchangeOptions, osloQueueOptions } from '../notify/topology.js';
import { loadBrokerTls } from '../notify/broker-tls.js';
import { parseTransportUrl } from '../notify/transport-url.js';
import { withDeadline, type CheckContext, type CheckLine } from './checks.js';

const MATCH_FIX = "set [notifications] exchange_durable and queue_type as nova.conf's and neutron.conf's [oslo_messaging_rabbit] are (README: Notification queues)";

async function probe<T>(model: ChannelModel, run: (ch: Awaited<ReturnType<ChannelModel['createChannel']>>) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: number | undefined; message: string }> {
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  try {
    const value = await run(channel);
    await channel.close().catch(() => undefined);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, code: (error as { code?: number }).code, message: (error as Error).message };
  }
}

async function inspect(model: ChannelModel, config: Config['notifications']): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const exchange of config.exchanges) {
    const exists = await probe(model, (ch) => ch.checkExchange(exchange));
    if (!exists.ok) continue; // Nova has not published yet; the listener will declare it
    const same = await probe(model, (ch) => ch.assertExchange(exchange, 'topic', osloExchangeOptions(config)));
    if (!same.ok && same.code === 406) lines.push({ ok: false, what: `RabbitMQ exchange ${exchange}`, why: `declared with other flags than join.conf says (${same.message})`, fix: MATCH_FIX });
  }
  const seen: string[] = [];
  for (const topic of config.topics) {
    for (const priority of OSLO_PRIORITIES) {
      const queue = `${topic}.${priority}`;
      const state = await probe(model, (ch) => ch.checkQueue(queue));
      if (!state.ok) continue;
      const { messageCount, consumerCount } = state.value;
      seen.push(`${queue} (${messageCount} messages, ${consumerCount} consumers)`);
      const read = config.priorities.includes(priority);
      if (read) {
        const same = await probe(model, (ch) => ch.assertQueue(queue, osloQueueOptions(config)));
        if (!same.ok && same.code === 406) lines.push({ ok: false, what: `RabbitMQ queue ${queue}`, why: `declared with other arguments than join.conf says (${same.message})`, fix: MATCH_FIX });
      }
      if (consumerCount === 0 && messageCount > 0) {
        lines.push({
          ok: false,
          what: `RabbitMQ queue ${queue}`,
          why: `${messageCount} messages and no consumer: it grows until RabbitMQ's memory or disk alarm blocks every publisher`,
          fix: read
            ? 'start novajoin-notify (systemctl start novajoin-notify), which reads it'
            : `add ${priority} to [notifications] priorities so that novajoin-notify reads it, or purge it (rabbitmqctl purge_queue ${queue})`,
        });
      }
    }
  }
  if (lines.length === 0) lines.push({ ok: true, what: `RabbitMQ notification queues: ${seen.join(', ') || 'none declared yet'}` });
  return lines;
}

export async function checkNotificationQueues(ctx: CheckContext): Promise<CheckLine[]> {
  const what = 'RabbitMQ notification queues';
  let endpoints;
  try {
    endpoints = parseTransportUrl(ctx.config.notifications.transportUrl, loadBrokerTls(ctx.config.notifications.tls));
  } catch {
    return [{ ok: false, what, why: 'not checked: transport_url or its TLS files do not load', fix: 'fix the RabbitMQ line first' }];
  }
  for (const endpoint of endpoints) {
    try {
      return await withDeadline(ctx.timeoutMs, async () => {
        const model = await connect({ ...endpoint.options, heartbeat: 0 }, { ...endpoint.socket, timeout: ctx.timeoutMs, clientProperties: { connection_name: 'novajoin check' } });
        model.on('error', () => undefined);
        try {
          return await inspect(model, ctx.config.notifications);
        } finally {
          await model.close().catch(() => undefined);
        }
      });
    } catch {
      // next broker; the RabbitMQ line says why none answered
    }
  }
  return [{ ok: false, what, why: 'not checked: no broker answered', fix: 'fix the RabbitMQ line first' }];
}

import type { Channel } from 'amqplib';
import { backoffLevels } from './backoff.js';

/**
 * Everything the listener declares, re-declared after every reconnect (as
 * oslo's consumers do, nova-wire.md 3.7):
 *
 * - the exchanges, exactly as oslo.messaging declares them (topic, durable as
 *   configured, not auto-delete), so that our declaration and Nova's agree;
 *   RabbitMQ refuses a re-declare with other flags;
 * - our own durable queue (design B5), bound to `<topic>.info` on each
 *   exchange: several listeners share it, nobody else (ceilometer) does;
 * - the dead-letter queue, durable, filled by explicit publishes so that each
 *   message carries its reason in a header;
 * - one delay queue per retry level (see retry.ts), whose expired messages
 *   are dead-lettered back into our queue through the default exchange.
 */
export interface TopologyOptions {
  readonly queue: string;
  readonly exchanges: readonly string[];
  readonly topics: readonly string[];
  readonly exchangeDurable: boolean;
  readonly deadLetterQueue: string;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
}

/** Only INFO is bound: errors (`.error`) describe failed actions that left nothing to enroll or clean up. */
export const PRIORITY = 'info';

export function bindingKeys(options: TopologyOptions): Array<{ exchange: string; routingKey: string }> {
  return options.exchanges.flatMap((exchange) => options.topics.map((topic) => ({ exchange, routingKey: `${topic}.${PRIORITY}` })));
}

export function retryQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${delayMs}`;
}

/** Retry levels in ms, from retry_initial doubling up to retry_max. */
export function retryLevels(options: Pick<TopologyOptions, 'retryInitialMs' | 'retryMaxMs'>): number[] {
  return backoffLevels({ initialMs: Math.max(1, options.retryInitialMs), maxMs: Math.max(1, options.retryMaxMs) });
}

export async function declareTopology(channel: Channel, options: TopologyOptions): Promise<void> {
  for (const exchange of options.exchanges) {
    await channel.assertExchange(exchange, 'topic', { durable: options.exchangeDurable, autoDelete: false });
  }
  await channel.assertQueue(options.deadLetterQueue, { durable: true, autoDelete: false });
  await channel.assertQueue(options.queue, { durable: true, autoDelete: false });
  for (const { exchange, routingKey } of bindingKeys(options)) {
    await channel.bindQueue(options.queue, exchange, routingKey);
  }
  for (const level of retryLevels(options)) {
    await channel.assertQueue(retryQueueName(options.queue, level), {
      durable: true,
      autoDelete: false,
      deadLetterExchange: '',
      deadLetterRoutingKey: options.queue,
    });
  }
}

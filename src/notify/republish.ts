import type { Message, Options } from 'amqplib';
import { redactText } from '../log/redact.js';

/**
 * Copies of a delivered message for the delay queues and the dead-letter
 * queue: same body and properties, with our headers. The original exchange
 * and routing key travel in headers because a message that went through a
 * delay queue comes back with the default exchange and our queue's name.
 */
export const HEADER = {
  reason: 'x-novajoin-reason',
  exchange: 'x-novajoin-exchange',
  routingKey: 'x-novajoin-routing-key',
  attempt: 'x-novajoin-attempt',
  lastError: 'x-novajoin-last-error',
  failedAt: 'x-novajoin-failed-at',
  /** On a dead-lettered copy whose envelope parsed: for `novajoin dlq list` and a broker's own UI. */
  eventType: 'x-novajoin-event-type',
  messageId: 'x-novajoin-message-id',
} as const;

/** RabbitMQ's own bookkeeping from earlier dead-lettering; not carried into a new copy. */
const BROKER_HEADERS = /^x-(death|first-death-|last-death-)/;

const MAX_HEADER_TEXT = 500;

/** Text for a header: secrets scrubbed (error messages can quote anything), bounded. */
export function headerText(text: string): string {
  const clean = redactText(text).replace(/\s+/g, ' ');
  return clean.length > MAX_HEADER_TEXT ? `${clean.slice(0, MAX_HEADER_TEXT - 3)}...` : clean;
}

export function originOf(message: Message): { exchange: string; routingKey: string } {
  const headers = message.properties.headers ?? {};
  const exchange = headers[HEADER.exchange];
  const routingKey = headers[HEADER.routingKey];
  return {
    exchange: typeof exchange === 'string' ? exchange : message.fields.exchange,
    routingKey: typeof routingKey === 'string' ? routingKey : message.fields.routingKey,
  };
}

/** How many transient failures this message has had (0 on its first delivery). */
export function attemptOf(message: Message): number {
  const value = Number(message.properties.headers?.[HEADER.attempt] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

export function copyOptions(message: Message, headers: Record<string, unknown>, extra: Options.Publish = {}): Options.Publish {
  const p = message.properties;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(p.headers ?? {})) if (!BROKER_HEADERS.test(key)) kept[key] = value;
  const origin = originOf(message);
  const options: Options.Publish = {
    ...extra,
    persistent: true,
    headers: { ...kept, [HEADER.exchange]: origin.exchange, [HEADER.routingKey]: origin.routingKey, ...headers },
  };
  if (p.contentType !== undefined) options.contentType = p.contentType;
  if (p.contentEncoding !== undefined) options.contentEncoding = p.contentEncoding;
  if (p.messageId !== undefined) options.messageId = p.messageId;
  if (p.correlationId !== undefined) options.correlationId = p.correlationId;
  if (p.timestamp !== undefined) options.timestamp = p.timestamp;
  if (p.type !== undefined) options.type = p.type;
  if (p.appId !== undefined) options.appId = p.appId;
  if (p.priority !== undefined) options.priority = p.priority;
  return options;
}

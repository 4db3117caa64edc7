import type { MessageOutcome } from './metrics.js';
import type { UnsupportedVersion } from './parse.js';
import type { EventEnvelope } from './types.js';

/** Listener states, in the order a normal life goes through them ('connecting' again after a broker loss). */
export type ConsumerState = 'idle' | 'connecting' | 'connected' | 'consuming' | 'draining' | 'stopped';
export const CONSUMER_STATES: readonly ConsumerState[] = ['idle', 'connecting', 'connected', 'consuming', 'draining', 'stopped'];

/** One message taken off the queue and settled, whatever became of it. */
export interface MessageSettled {
  readonly outcome: MessageOutcome;
  /** Event kind ('instance.delete', ...), 'other' for ignored types, 'unsupported', or 'unknown' when unparsable. */
  readonly kind: string;
  readonly eventType: string | null;
  readonly uniqueId: string | null;
}

/** What NotificationConsumer emits (bullmq style: the library emits, the service logs and counts). */
export interface ConsumerEvents {
  state: [state: ConsumerState];
  message: [info: MessageSettled];
  applied: [envelope: EventEnvelope];
  ignored: [info: { eventType: string; envelope: EventEnvelope | null }];
  skipped_version: [info: UnsupportedVersion];
  duplicate: [envelope: EventEnvelope];
  retry: [info: { envelope: EventEnvelope; attempt: number; delayMs: number; error: unknown }];
  dead_lettered: [info: { reason: string; eventType: string | null; exchange: string; routingKey: string }];
  requeued: [info: { eventType: string | null; uniqueId: string | null }];
  connected: [info: { broker: string }];
  disconnected: [info: { broker: string; error: Error | null }];
  error: [error: Error];
}

export type Emit = <K extends keyof ConsumerEvents>(event: K, ...args: ConsumerEvents[K]) => void;

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

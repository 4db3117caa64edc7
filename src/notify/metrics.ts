/**
 * The listener's metrics. Labels are bounded (event kinds and outcomes from
 * fixed lists), never raw event types or ids from a message. The counts are
 * also kept as plain numbers for the health file and /healthz.
 */
import { Registry } from '../metrics/registry.js';

export type MessageOutcome = 'applied' | 'ignored' | 'skipped_version' | 'duplicate' | 'dead_lettered' | 'retried' | 'requeued';

export const OUTCOMES: readonly MessageOutcome[] = ['applied', 'ignored', 'skipped_version', 'duplicate', 'dead_lettered', 'retried', 'requeued'];

/** Seconds between Nova sending a notification and us taking it. */
const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;

export interface MetricsSnapshot {
  readonly messages: ReadonlyArray<{ kind: string; outcome: MessageOutcome; count: number }>;
  readonly retries: number;
  readonly deadLettered: number;
  readonly reconnects: number;
  readonly lastMessageAt: number | null;
  readonly lastLagSeconds: number | null;
}

export interface ListenerState {
  readonly state: string;
  readonly states: readonly string[];
  readonly inFlight: number;
}

export class NotifyMetrics {
  readonly registry: Registry;
  private readonly messages = new Map<string, { kind: string; outcome: MessageOutcome; count: number }>();
  private readonly messagesTotal;
  private readonly lag;
  private readonly stateGauge;
  private readonly inFlightGauge;
  retries = 0;
  deadLettered = 0;
  reconnects = 0;
  lastMessageAt: number | null = null;
  lastLagSeconds: number | null = null;

  constructor(options: { processMetrics?: boolean } = {}) {
    const r = (this.registry = new Registry({ processMetrics: options.processMetrics ?? true }));
    this.messagesTotal = r.counter('novajoin_notify_messages_total', 'Notifications taken off the queue, by event kind and outcome.', ['kind', 'outcome']);
    r.counterOf('novajoin_notify_retries_total', 'Transient failures sent to a delay queue for a later try.', () => this.retries);
    r.counterOf('novajoin_notify_dead_lettered_total', 'Messages sent to the dead-letter queue.', () => this.deadLettered);
    r.counterOf('novajoin_notify_reconnects_total', 'Broker connections lost and re-established.', () => this.reconnects);
    this.inFlightGauge = r.gauge('novajoin_notify_in_flight', 'Messages being handled now.');
    this.stateGauge = r.gauge('novajoin_notify_state', 'Listener state: 1 for the current one.', ['state']);
    r.gaugeOf('novajoin_notify_last_message_timestamp_seconds', 'When the last message was taken off the queue (0: never).', () =>
      this.lastMessageAt === null ? 0 : this.lastMessageAt / 1000,
    );
    r.gaugeOf('novajoin_notify_lag_seconds_last', 'Lag of the last message: now minus its oslo timestamp.', () => this.lastLagSeconds ?? 0);
    this.lag = r.histogram('novajoin_notify_lag_seconds', 'Lag of each message: now minus its oslo timestamp.', LAG_BUCKETS);
  }

  count(kind: string, outcome: MessageOutcome): void {
    const key = `${kind}\u0000${outcome}`;
    const entry = this.messages.get(key) ?? { kind, outcome, count: 0 };
    entry.count += 1;
    this.messages.set(key, entry);
    this.messagesTotal.inc({ kind, outcome });
    if (outcome === 'retried') this.retries += 1;
    if (outcome === 'dead_lettered') this.deadLettered += 1;
  }

  /** Nova's clock and ours differ; a negative lag is recorded as 0. */
  observeLag(seconds: number): void {
    const lag = Math.max(0, seconds);
    this.lastLagSeconds = lag;
    this.lag.observe(lag);
  }

  snapshot(): MetricsSnapshot {
    return {
      messages: [...this.messages.values()].map((m) => ({ ...m })),
      retries: this.retries,
      deadLettered: this.deadLettered,
      reconnects: this.reconnects,
      lastMessageAt: this.lastMessageAt,
      lastLagSeconds: this.lastLagSeconds,
    };
  }

  /** The exposition text, with the listener's state as of now. */
  render(now: ListenerState): Promise<string> {
    this.inFlightGauge.set(now.inFlight);
    for (const s of now.states) this.stateGauge.set(s === now.state ? 1 : 0, { state: s });
    return this.registry.render();
  }
}

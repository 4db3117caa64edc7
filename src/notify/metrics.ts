/**
 * The listener's counters, and their Prometheus text form (exposition format
 * 0.0.4). Hand-rolled because it is a handful of series; labels are bounded
 * (event kinds and outcomes from fixed lists), never raw event types or ids.
 */

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

export class NotifyMetrics {
  private readonly messages = new Map<string, { kind: string; outcome: MessageOutcome; count: number }>();
  private readonly lagCounts = LAG_BUCKETS.map(() => 0);
  private lagSum = 0;
  private lagCount = 0;
  retries = 0;
  deadLettered = 0;
  reconnects = 0;
  lastMessageAt: number | null = null;
  lastLagSeconds: number | null = null;

  count(kind: string, outcome: MessageOutcome): void {
    const key = `${kind}\u0000${outcome}`;
    const entry = this.messages.get(key) ?? { kind, outcome, count: 0 };
    entry.count += 1;
    this.messages.set(key, entry);
    if (outcome === 'retried') this.retries += 1;
    if (outcome === 'dead_lettered') this.deadLettered += 1;
  }

  /** Nova's clock and ours differ; a negative lag is recorded as 0. */
  observeLag(seconds: number): void {
    const lag = Math.max(0, seconds);
    this.lastLagSeconds = lag;
    this.lagSum += lag;
    this.lagCount += 1;
    LAG_BUCKETS.forEach((bound, i) => {
      if (lag <= bound) this.lagCounts[i] = (this.lagCounts[i] ?? 0) + 1;
    });
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

  render(extra: { state: string; states: readonly string[]; inFlight: number }): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    family('novajoin_notify_messages_total', 'counter', 'Notifications taken off the queue, by event kind and outcome.');
    for (const m of [...this.messages.values()].sort((a, b) => (a.kind + a.outcome).localeCompare(b.kind + b.outcome))) {
      lines.push(`novajoin_notify_messages_total{kind="${esc(m.kind)}",outcome="${m.outcome}"} ${m.count}`);
    }
    family('novajoin_notify_retries_total', 'counter', 'Transient failures sent to a delay queue for a later try.');
    lines.push(`novajoin_notify_retries_total ${this.retries}`);
    family('novajoin_notify_dead_lettered_total', 'counter', 'Messages sent to the dead-letter queue.');
    lines.push(`novajoin_notify_dead_lettered_total ${this.deadLettered}`);
    family('novajoin_notify_reconnects_total', 'counter', 'Broker connections lost and re-established.');
    lines.push(`novajoin_notify_reconnects_total ${this.reconnects}`);
    family('novajoin_notify_in_flight', 'gauge', 'Messages being handled now.');
    lines.push(`novajoin_notify_in_flight ${extra.inFlight}`);
    family('novajoin_notify_state', 'gauge', 'Listener state: 1 for the current one.');
    for (const s of extra.states) lines.push(`novajoin_notify_state{state="${s}"} ${s === extra.state ? 1 : 0}`);
    family('novajoin_notify_last_message_timestamp_seconds', 'gauge', 'When the last message was taken off the queue (0: never).');
    lines.push(`novajoin_notify_last_message_timestamp_seconds ${this.lastMessageAt === null ? 0 : this.lastMessageAt / 1000}`);
    family('novajoin_notify_lag_seconds_last', 'gauge', 'Lag of the last message: now minus its oslo timestamp.');
    lines.push(`novajoin_notify_lag_seconds_last ${this.lastLagSeconds ?? 0}`);
    family('novajoin_notify_lag_seconds', 'histogram', 'Lag of each message: now minus its oslo timestamp.');
    LAG_BUCKETS.forEach((bound, i) => lines.push(`novajoin_notify_lag_seconds_bucket{le="${bound}"} ${this.lagCounts[i] ?? 0}`));
    lines.push(`novajoin_notify_lag_seconds_bucket{le="+Inf"} ${this.lagCount}`);
    lines.push(`novajoin_notify_lag_seconds_sum ${this.lagSum}`);
    lines.push(`novajoin_notify_lag_seconds_count ${this.lagCount}`);
    return `${lines.join('\n')}\n`;
  }
}

function esc(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * A publisher as Nova's notifier should be across a broker node loss:
 * publisher confirms on, the brokers of the URL tried in turn, and whatever
 * was not confirmed when a connection died (or was nacked, or timed out)
 * published again on the next connection. Messages are sent in windows of
 * `window`, each waited for, so that publishing spans the test's kill.
 */
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';

export interface OutgoingMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
}

export interface PublishReport {
  /** Publishes sent, republishes included. */
  readonly sent: number;
  readonly republished: number;
  readonly reconnects: number;
}

export interface ConfirmingPublisherOptions {
  /** amqp:// URLs, tried in this order. */
  readonly urls: readonly string[];
  readonly window?: number;
  readonly confirmTimeoutMs?: number;
  /** Called after each confirmed window, with how many are confirmed so far. */
  readonly onProgress?: (confirmed: number) => void | Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function publishAllConfirmed(messages: readonly OutgoingMessage[], opts: ConfirmingPublisherOptions): Promise<PublishReport> {
  const window = opts.window ?? 20;
  const timeoutMs = opts.confirmTimeoutMs ?? 30_000;
  let sent = 0;
  let republished = 0;
  let reconnects = -1;
  let urlIndex = 0;
  let confirmed = 0;
  let pending = messages.map((_, i) => i);
  let conn: { model: ChannelModel; channel: ConfirmChannel } | null = null;
  const attempts = new Map<number, number>();
  try {
    while (pending.length > 0) {
      if (!conn) {
        const url = opts.urls[urlIndex % opts.urls.length]!;
        urlIndex += 1;
        try {
          const model = await connect(url, { timeout: 10_000 });
          model.on('error', () => undefined);
          const channel = await model.createConfirmChannel();
          channel.on('error', () => undefined);
          conn = { model, channel };
          reconnects += 1;
        } catch {
          await sleep(200);
          continue;
        }
      }
      const batch = pending.slice(0, window);
      const channel = conn.channel;
      const results = await Promise.all(
        batch.map(
          (i) =>
            new Promise<boolean>((resolve) => {
              const m = messages[i]!;
              const timer = setTimeout(() => resolve(false), timeoutMs);
              const n = (attempts.get(i) ?? 0) + 1;
              attempts.set(i, n);
              sent += 1;
              if (n > 1) republished += 1;
              try {
                channel.publish(m.exchange, m.routingKey, m.body, { deliveryMode: 2, contentType: 'application/json' }, (err) => {
                  clearTimeout(timer);
                  resolve(!err);
                });
              } catch {
                clearTimeout(timer);
                resolve(false);
              }
            }),
        ),
      );
      const failed = batch.filter((_, k) => !results[k]);
      confirmed += batch.length - failed.length;
      pending = [...failed, ...pending.slice(batch.length)];
      if (failed.length > 0) {
        // A dead connection, a nack or no answer in time: start again on the next broker.
        await conn.model.close().catch(() => undefined);
        conn = null;
      }
      await opts.onProgress?.(confirmed);
    }
  } finally {
    await conn?.model.close().catch(() => undefined);
  }
  return { sent, republished, reconnects: Math.max(0, reconnects) };
}

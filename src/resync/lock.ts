/**
 * A cluster-wide lock made of a RabbitMQ exclusive queue: whoever declares
 * the queue exclusively holds it, every other connection gets 405
 * RESOURCE_LOCKED, and the broker drops it the moment the holder's
 * connection dies (crash, network loss, missed heartbeats). No expiry to
 * tune and nothing home-made to go stale; RabbitMQ is already the shared
 * part of novajoin-notify (design 6).
 */
import { connect, type Channel, type ChannelModel } from 'amqplib';
import type { Logger } from '../log/logger.js';
import type { AmqpEndpoint } from '../notify/transport-url.js';

export interface QueueLockOptions {
  readonly endpoints: readonly AmqpEndpoint[];
  readonly queue: string;
  readonly logger: Logger;
  readonly connectTimeoutMs: number;
  /** Seconds; a dead holder's connection is noticed after about twice this. */
  readonly heartbeatSeconds?: number;
  readonly connectionName?: string;
}

export class QueueLock {
  #model: ChannelModel | null = null;
  #channel: Channel | null = null;
  #held = false;
  #acquiring: Promise<boolean> | null = null;

  constructor(private readonly options: QueueLockOptions) {}

  get held(): boolean {
    return this.#held;
  }

  /** True when this process holds the lock (already, or now); false when another does. Throws when no broker answers. */
  tryAcquire(): Promise<boolean> {
    if (this.#held) return Promise.resolve(true);
    this.#acquiring ??= this.#acquire().finally(() => (this.#acquiring = null));
    return this.#acquiring;
  }

  async #acquire(): Promise<boolean> {
    const model = await this.#connect();
    let lockedByOther = false;
    try {
      const channel = await model.createChannel();
      // The broker closes the channel on RESOURCE_LOCKED; without a listener
      // that 'error' event would be thrown out of the emitter.
      channel.on('error', (err: Error & { code?: number }) => {
        if (err.code === 405) lockedByOther = true;
      });
      await channel.assertQueue(this.options.queue, { exclusive: true, durable: false, autoDelete: true, arguments: {} });
      this.#model = model;
      this.#channel = channel;
      this.#held = true;
      const lost = () => {
        if (this.#model !== model) return;
        this.#held = false;
        this.#model = null;
        this.#channel = null;
        this.options.logger.warn('resync lock lost with its RabbitMQ connection', { queue: this.options.queue });
      };
      model.on('close', lost);
      channel.on('close', () => {
        lost();
        model.close().catch(() => undefined);
      });
      return true;
    } catch (error) {
      await model.close().catch(() => undefined);
      if (lockedByOther || (error as { code?: number }).code === 405 || /RESOURCE_LOCKED/.test((error as Error).message)) return false;
      throw error;
    }
  }

  async #connect(): Promise<ChannelModel> {
    let last: unknown = new Error('transport_url names no broker');
    for (const endpoint of this.options.endpoints) {
      try {
        const model = await connect(
          { heartbeat: this.options.heartbeatSeconds ?? 30, ...endpoint.options },
          { ...endpoint.socket, timeout: this.options.connectTimeoutMs, clientProperties: { connection_name: this.options.connectionName ?? 'novajoin resync lock' } },
        );
        model.on('error', () => undefined); // 'close' follows; handled there
        return model;
      } catch (error) {
        last = error;
        this.options.logger.debug('resync lock: broker unreachable', { broker: endpoint.display, error: (error as Error).message });
      }
    }
    throw last;
  }

  /** Gives the lock up (closes its connection). Safe to call when not held. */
  async release(): Promise<void> {
    const model = this.#model;
    this.#held = false;
    this.#model = null;
    this.#channel = null;
    if (!model) return;
    // A broker that stopped answering must not hold shutdown up.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      model.close().catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.connectTimeoutMs))),
    ]);
    clearTimeout(timer);
  }
}

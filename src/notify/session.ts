import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from 'amqplib';
import { consumedQueues, declareTopology, type TopologyOptions } from './topology.js';
import type { AmqpEndpoint } from './transport-url.js';

/**
 * One broker connection with its confirm channel, topology declared and the
 * consumer started. Deliveries remember the session they came from: once it
 * is dead (`alive` false) their acks are pointless, the broker redelivers.
 * `lost` resolves when the connection or the channel goes away, with the
 * error if there was one.
 */
export interface Session {
  readonly model: ChannelModel;
  readonly channel: ConfirmChannel;
  readonly endpoint: AmqpEndpoint;
  readonly lost: Promise<Error | null>;
  /** One consumer per queue read (consumedQueues). */
  consumerTags: string[];
  alive: boolean;
}

export interface SessionOptions {
  readonly topology: TopologyOptions;
  readonly prefetch: number;
  readonly connectionName: string;
  readonly connectTimeoutMs: number;
  readonly heartbeatSeconds: number;
  /** Called once the topology is declared, before consuming; throwing aborts the session. */
  readonly beforeConsume: () => void;
  readonly onMessage: (session: Session, msg: ConsumeMessage | null) => void;
}

export async function openSession(endpoint: AmqpEndpoint, opts: SessionOptions): Promise<Session> {
  const model = await connect(
    { heartbeat: opts.heartbeatSeconds, ...endpoint.options },
    { ...endpoint.socket, timeout: opts.connectTimeoutMs, clientProperties: { connection_name: opts.connectionName } },
  );
  let markLost!: (err: Error | null) => void;
  const lost = new Promise<Error | null>((resolve) => (markLost = resolve));
  let lastError: Error | null = null;
  let session: Session | null = null;
  const onLost = () => {
    if (session) session.alive = false;
    markLost(lastError);
  };
  // Without 'error' listeners an AMQP error would be thrown from an event
  // emitter and crash the process; the 'close' that follows is what counts.
  model.on('error', (err: Error) => (lastError = err));
  model.on('close', onLost);
  let channel: ConfirmChannel;
  try {
    channel = await model.createConfirmChannel();
  } catch (err) {
    await model.close().catch(() => undefined);
    throw err;
  }
  const live: Session = { model, channel, endpoint, lost, consumerTags: [], alive: true };
  session = live;
  channel.on('error', (err: Error) => (lastError = err));
  // A channel closed by the broker (e.g. an ack for an unknown tag) leaves
  // the connection up; closing it too makes one reconnect path for both.
  channel.on('close', () => {
    onLost();
    model.close().catch(() => undefined);
  });
  try {
    await declareTopology(channel, opts.topology);
    await channel.prefetch(opts.prefetch);
    opts.beforeConsume();
    for (const queue of consumedQueues(opts.topology)) {
      const { consumerTag } = await channel.consume(queue, (msg) => opts.onMessage(live, msg), { noAck: false });
      live.consumerTags.push(consumerTag);
    }
  } catch (err) {
    live.alive = false;
    await model.close().catch(() => undefined);
    throw lastError ?? err;
  }
  return live;
}

/** Publishes through the default exchange to `queue`; true once the broker confirmed it, false on nack, loss or timeout. */
export function publishConfirmed(session: Session, queue: string, content: Buffer, options: Options.Publish, timeoutMs: number): Promise<boolean> {
  if (!session.alive) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    try {
      session.channel.publish('', queue, content, options, (err) => {
        clearTimeout(timer);
        resolve(!err);
      });
    } catch {
      clearTimeout(timer);
      resolve(false);
    }
  });
}

export async function closeSession(session: Session, timeoutMs: number): Promise<void> {
  session.alive = false;
  await withTimeout(session.model.close(), timeoutMs).catch(() => undefined);
}

/**
 * Errors that no reconnect will fix; at start-up they fail `start()` instead
 * of being retried forever: 403 ACCESS_REFUSED (login, vhost permissions),
 * 406 PRECONDITION_FAILED (an exchange or queue declared elsewhere with other
 * flags), 530 NOT_ALLOWED (vhost).
 */
/** Node's codes for a broker certificate that does not verify: the CA file or the host name is wrong. */
const TLS_VERIFY = /^(?:UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_SIGNATURE_FAILURE|ERR_TLS_CERT_ALTNAME_INVALID)$/;

export function isConfigurationError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  return code === 403 || code === 406 || code === 530 || (typeof code === 'string' && TLS_VERIFY.test(code)) || /ACCESS[-_]REFUSED|PRECONDITION[-_]FAILED|NOT[-_]ALLOWED/.test(message);
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

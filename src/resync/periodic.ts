/**
 * The periodic resync of novajoin-notify ([notifications] resync_interval,
 * off by default). Every listener runs the timer; only the holder of the
 * RabbitMQ lock (lock.ts) resyncs, so several listeners never apply plans
 * at once, and when the holder dies another takes over at its next tick.
 * The holder keeps the lock between runs: one resync per interval in the
 * whole deployment, not one per listener.
 *
 * A run is an `--apply` without `--force`: a plan that would remove most
 * hosts (a broken Nova listing, say) is logged and left for an operator.
 */
import type { LookupFunction } from 'node:net';
import type { Config } from '../config/types.js';
import type { InstanceLifecycle } from '../domain/lifecycle.js';
import type { Directory } from '../domain/ports.js';
import type { Logger } from '../log/logger.js';
import { loadBrokerTls } from '../notify/broker-tls.js';
import { parseTransportUrl } from '../notify/transport-url.js';
import type { OpenStackOptions } from '../openstack/index.js';
import { ldapBindFromConfig, resyncFromConfig } from './from-config.js';
import { QueueLock } from './lock.js';
import { runResync, type ResyncReport } from './run.js';

export const RESYNC_LOCK_QUEUE = 'novajoin.resync.lock';

export interface PeriodicResyncOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The listener's own lifecycle and directory, to share its FreeIPA session; built from config when absent. */
  readonly lifecycle?: Pick<InstanceLifecycle, 'deleted' | 'updated'>;
  readonly directory?: Pick<Directory, 'read' | 'write'>;
  readonly openstack?: OpenStackOptions;
  /** Name resolution for the LDAP servers (tests). */
  readonly ldapLookup?: LookupFunction;
  /** AMQP URL; default [DEFAULT] transport_url. */
  readonly url?: string;
  /** Default [notifications] resync_interval; 0 turns it off. */
  readonly intervalMs?: number;
  readonly lockQueue?: string;
  /** Replaces the resync itself (tests of the scheduling and the lock). */
  readonly runOnce?: (signal: AbortSignal) => Promise<ResyncReport | void>;
  /** Called after each run this process made, with its report or error. */
  readonly onRun?: (outcome: { report?: ResyncReport; error?: Error }) => void;
}

export interface PeriodicResync {
  /** This process holds the lock (runs the resyncs). */
  readonly leader: boolean;
  /** Stops the timer, aborts a run in flight, gives the lock up. */
  stop(): Promise<void>;
}

export function startPeriodicResync(options: PeriodicResyncOptions): PeriodicResync {
  const { config, logger } = options;
  const intervalMs = options.intervalMs ?? config.notifications.resyncIntervalMs;
  if (!(intervalMs > 0)) {
    return { leader: false, stop: async () => {} };
  }
  // A bind that would be anonymous (and see no host) fails the listener's start, not each run.
  if (!options.runOnce) ldapBindFromConfig(config);
  const lock = new QueueLock({
    endpoints: parseTransportUrl(options.url ?? config.notifications.transportUrl, loadBrokerTls(config.notifications.tls)),
    queue: options.lockQueue ?? RESYNC_LOCK_QUEUE,
    logger,
    connectTimeoutMs: 10_000,
  });
  const runOnce = options.runOnce ?? defaultRun(options);
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  const abort = new AbortController();

  const schedule = () => {
    if (stopped) return;
    // ±10 % so that listeners started together do not all knock at once.
    const delay = Math.round(intervalMs * (0.9 + Math.random() * 0.2));
    timer = setTimeout(() => {
      timer = null;
      running = tick().finally(() => {
        running = null;
        schedule();
      });
    }, delay);
    timer.unref?.();
  };

  const tick = async () => {
    let leader: boolean;
    try {
      leader = await lock.tryAcquire();
    } catch (error) {
      logger.warn('periodic resync skipped: RabbitMQ lock unavailable', { error: (error as Error).message });
      return;
    }
    if (!leader || stopped) {
      logger.debug('periodic resync: another listener holds the lock');
      return;
    }
    const started = Date.now();
    try {
      const report = await runOnce(abort.signal);
      if (report) {
        const counts: Record<string, number> = {};
        for (const r of report.results ?? []) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
        logger.info('periodic resync done', { items: report.plan.items.length, ...report.plan.summary.byKind, ...counts, durationMs: Math.round(report.durationMs) });
      }
      options.onRun?.(report ? { report } : {});
    } catch (error) {
      logger.error('periodic resync failed', { error: (error as Error).message, durationMs: Date.now() - started });
      options.onRun?.({ error: error as Error });
    }
  };

  schedule();
  logger.info('periodic resync enabled', { intervalSeconds: Math.round(intervalMs / 1000), lock: options.lockQueue ?? RESYNC_LOCK_QUEUE });
  let stopping: Promise<void> | null = null;
  return {
    get leader() {
      return lock.held;
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        abort.abort(new Error('novajoin-notify is stopping'));
        await running?.catch(() => undefined);
        await lock.release();
      })();
      return stopping;
    },
  };
}

/** A resync --apply with the listener's lifecycle (or one built from config), its connections closed after each run. */
function defaultRun(options: PeriodicResyncOptions): (signal: AbortSignal) => Promise<ResyncReport> {
  return async (signal) => {
    const built = resyncFromConfig(options.config, options.logger, {
      ...(options.openstack ? { openstack: options.openstack } : {}),
      ...(options.ldapLookup ? { ldapLookup: options.ldapLookup } : {}),
      ...(options.lifecycle && options.directory ? { lifecycle: options.lifecycle, directory: options.directory } : {}),
    });
    try {
      return await runResync(built.deps, { apply: true, force: false, signal });
    } finally {
      await built.close();
    }
  };
}

/**
 * The deletes, once per queue type, each with its own topic and queues: the
 * join storm's hosts (and more created for the purpose when --deletes asks
 * for more than the largest storm left), removed through novajoin-notify.
 */
import { writeBenchConfig, type BenchConfigOptions } from './config.js';
import { runDeletes, type DeleteHost, type DeleteResult } from './deletes.js';
import type { BenchIpa } from './ipa.js';
import type { NovaInstance } from './nova-request.js';
import { opts, deletes, deleteLatency, deleteWaitMs, queueTypes, runtime } from './options.js';

export interface DeleteStormDeps {
  readonly ipa: BenchIpa;
  readonly runId: string;
  /** The join.conf of the run; each queue type's is this one with its own names. */
  readonly benchConfig: BenchConfigOptions;
  /** Instances named after the run and `name`. */
  readonly instances: (name: string, count: number) => NovaInstance[];
  readonly logFd: number;
  readonly nodeFlags: readonly string[];
  readonly log: (line: string) => void;
}

export interface QueueTypeDeletes {
  readonly queueType: string;
  readonly result: DeleteResult;
}

export async function runDeleteStorms(
  { ipa, runId, benchConfig, instances, logFd, nodeFlags, log }: DeleteStormDeps,
  stormHosts: readonly DeleteHost[],
): Promise<QueueTypeDeletes[]> {
  const deleteResults: QueueTypeDeletes[] = [];
  if (deletes > 0) {
    const extra = instances('d', Math.max(0, deletes - stormHosts.length)).map((i) => ({
      instanceId: i.instanceId,
      projectId: i.projectId,
      hostname: i.hostname,
      fqdn: `${i.hostname}.${ipa.domain}`,
    }));
    const hosts = [...stormHosts.slice(0, deletes), ...extra];
    for (const queueType of queueTypes as Array<'classic' | 'quorum'>) {
      const notifyConfig = writeBenchConfig({
        ...benchConfig,
        file: `notify-${queueType}.conf`,
        notifications: {
          ...benchConfig.notifications,
          retryQueuePrefix: `novajoin-bench-${runId}-${queueType}`,
          deadLetterQueue: `novajoin-bench-${runId}-${queueType}.dead`,
          topic: `novajoin-bench-${runId}-${queueType}`,
          queueType,
        },
      });
      log(`deletes: ${hosts.length} instance.delete.end, FreeIPA latency ${deleteLatency} ms, ${queueType} queues`);
      const result = await runDeletes({ ipa, configFile: notifyConfig, hosts, latencyMs: deleteLatency, waitMs: deleteWaitMs, fixture: opts.fixture, logFd, nodeFlags, runtime });
      deleteResults.push({ queueType, result });
    }
  }
  return deleteResults;
}

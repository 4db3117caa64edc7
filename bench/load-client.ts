/**
 * The run's side of the load generator (bench/load.ts): the instances it
 * boots, a storm of their requests asked of it, and the answers' errors by
 * kind.
 */
import { randomUUID } from 'node:crypto';
import type { LoadResult, LoadSpec, RequestRecord } from './load.js';
import type { NovaInstance } from './nova-request.js';
import { timeoutMs } from './options.js';
import type { Child } from './proc.js';

export function makeInstances(prefix: string, count: number, projectId: string, imageId: string): NovaInstance[] {
  return Array.from({ length: count }, (_, i) => ({
    instanceId: randomUUID(),
    projectId,
    imageId,
    hostname: `${prefix}-${i}`,
    metadata: { ipa_enroll: 'True' },
    userData: 'I2Nsb3VkLWNvbmZpZwo=',
    bootRoles: 'member,reader',
  }));
}

/** One storm: `instances`, `concurrency` at a time, `repeats` requests each. */
export type Drive = (instances: readonly NovaInstance[], concurrency: number, repeats: number, parallelRepeats?: boolean) => Promise<LoadResult>;

export function driver(load: Child<{ type: 'ready' }>, url: string, token: string): Drive {
  return (instances, concurrency, repeats, parallelRepeats = false) =>
    load.ask<LoadResult>({ type: 'run', url, token, instances, concurrency, repeats, parallelRepeats, timeoutMs } satisfies LoadSpec, 'result');
}

export function errorsOf(records: readonly RequestRecord[]): Map<string, number> {
  const errors = new Map<string, number>();
  for (const r of records) if (r[5]) errors.set(r[5], (errors.get(r[5]) ?? 0) + 1);
  return errors;
}

export const describeErrors = (errors: Map<string, number>) => (errors.size === 0 ? '' : [...errors].map(([k, v]) => `${k}:${v}`).join(' '));

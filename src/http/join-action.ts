/**
 * POST /v1: the vendordata target. A list of named steps, so each shows in
 * stack traces and the route table reads as what happens.
 */
import type { Middleware } from 'koa';
import { HostConflict } from '../errors.js';
import { FreeIpaSaturatedError } from '../freeipa/errors.js';
import type { JoinRequest, JoinService } from '../domain/join.js';
import type { Logger } from '../log/logger.js';
import { readJsonObject } from './body.js';
import type { ServerMetrics } from './http-metrics.js';
import { parseJoinRequest } from './join-request.js';

export interface JoinActionOptions {
  readonly join: JoinService;
  readonly domain: string;
  readonly maxBodySize: number;
  readonly joinTimeoutMs: number;
  readonly metrics: ServerMetrics;
  readonly observeJoin?: ((request: JoinRequest) => void) | undefined;
}

export function joinAction(options: JoinActionOptions): { measure: Middleware; enroll: Middleware } {
  const { metrics } = options;

  const measure: Middleware = async function measureJoin(ctx, next) {
    const started = process.hrtime.bigint();
    try {
      await next();
      metrics.requests.inc({ outcome: String(ctx.state['outcome'] ?? 'unknown') });
    } catch (error) {
      metrics.requests.inc({ outcome: error instanceof HostConflict ? 'conflict' : error instanceof FreeIpaSaturatedError ? 'saturated' : `error_${(error as { status?: number }).status ?? 500}` });
      if (error instanceof HostConflict) metrics.conflicts.inc();
      throw error;
    } finally {
      metrics.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  };

  const enroll: Middleware = async function enrollHost(ctx) {
    const deadline = Date.now() + options.joinTimeoutMs;
    const body = await readJsonObject(ctx, options.maxBodySize);
    const request = parseJoinRequest(body, options.domain);
    options.observeJoin?.(request);
    const log = ctx.state['log'] as Logger;
    const result = await options.join.join(request, deadline, log);
    ctx.state['outcome'] = result.outcome;
    if (result.outcome === 'created' || result.outcome === 'reissued') metrics.otps.inc();
    if (result.problems.length) {
      metrics.serviceProblems.inc(undefined, result.problems.length);
      log.warn('service requests not honoured', { instance: request.instanceId, problems: result.problems });
    }
    log.info('join', { instance: request.instanceId, project: request.projectId, outcome: result.outcome, fqdn: 'hostname' in result.answer ? result.answer.hostname : undefined, writes: result.writes, ...(result.cached ? { cached: true } : {}) });
    ctx.status = 200;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = result.answer;
  };

  return { measure, enroll };
}

/**
 * The Koa application of novajoin-server. The route table is the map of the
 * service: Nova's vendordata target and the operator endpoints.
 */
import Router from '@koa/router';
import Koa from 'koa';
import type { JoinService } from '../domain/join.js';
import type { Logger } from '../log/logger.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.js';
import type { TokenValidator } from '../openstack/caller.js';
import { authenticate, type Authorize } from './authenticate.js';
import { errorHandler } from './error-handler.js';
import type { ServerMetrics } from './http-metrics.js';
import { joinAction } from './join-action.js';
import type { JoinRequest } from '../domain/join.js';
import type { Readiness } from './readiness.js';
import { requestContext } from './request-context.js';
import { routesFallback } from './routes-fallback.js';

export type { ReadinessCheck } from './readiness.js';

export interface AppOptions {
  readonly join: JoinService;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly domain: string;
  readonly maxBodySize: number;
  readonly joinTimeoutMs: number;
  readonly auth: {
    readonly strategy: 'keystone' | 'noauth';
    readonly tokens: TokenValidator | null;
    readonly authorize: Authorize;
    readonly wwwAuthenticateUri: string;
    readonly timeoutMs: number;
    readonly serviceType: string;
  };
  readonly readiness: Readiness;
  /** Told of every valid vendordata request (`novajoin dev`'s stand-in Nova learns its instances so). */
  readonly observeJoin?: ((request: JoinRequest) => void) | undefined;
}

export function createApp(options: AppOptions): Koa {
  const app = new Koa();
  app.proxy = false;
  app.silent = true; // errors are logged by errorHandler, once, redacted
  const router = new Router();
  const action = joinAction(options);
  // measured first, so that refusals by authentication and policy are counted too
  router.post(['/v1', '/v1/'], action.measure, authenticate(options.auth, 'join:create'), action.enroll);
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const report = await options.readiness.report();
    ctx.status = report.ready ? 200 : 503;
    ctx.body = { status: report.ready ? 'ready' : 'not ready', checks: report.checks, request_id: ctx.state['requestId'] };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = PROMETHEUS_CONTENT_TYPE;
    ctx.body = await options.metrics.registry.render();
  });

  app.use(requestContext(options.logger));
  app.use(errorHandler(options.logger));
  app.use(router.routes());
  app.use(routesFallback(router));
  return app;
}

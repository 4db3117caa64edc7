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
import { requestContext } from './request-context.js';

/** A dependency check for /readyz; throws when not ready. */
export type ReadinessCheck = { readonly name: string; check(): Promise<void> };

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
  };
  readonly readiness: readonly ReadinessCheck[];
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
    const results = await Promise.all(
      options.readiness.map(async (r) => {
        try {
          await r.check();
          return { name: r.name, ok: true as const };
        } catch (error) {
          return { name: r.name, ok: false as const, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    ctx.status = results.every((r) => r.ok) ? 200 : 503;
    ctx.body = { status: ctx.status === 200 ? 'ready' : 'not ready', checks: results };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = PROMETHEUS_CONTENT_TYPE;
    ctx.body = await options.metrics.registry.render();
  });

  app.use(requestContext(options.logger));
  app.use(errorHandler(options.logger));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  app.use(async (ctx) => {
    ctx.status = 404;
    ctx.body = { error: { code: 404, title: 'not_found', message: `no route for ${ctx.method} ${ctx.path}; Nova's target is POST /v1/` } };
  });
  return app;
}

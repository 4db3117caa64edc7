/**
 * Request id (X-Openstack-Request-Id from Nova, else a new one), echoed back
 * and bound to a child logger so every log line of the request carries it.
 */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../log/logger.js';

const VALID_ID = /^req-[0-9a-f-]{36}$|^[A-Za-z0-9_.:-]{1,128}$/;

export function requestContext(logger: Logger): Middleware {
  return async function bindRequest(ctx, next) {
    const incoming = ctx.get('X-Openstack-Request-Id');
    const id = VALID_ID.test(incoming) ? incoming : `req-${randomUUID()}`;
    ctx.set('X-Openstack-Request-Id', id);
    ctx.state['requestId'] = id;
    ctx.state['log'] = logger.child({ request_id: id });
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
}

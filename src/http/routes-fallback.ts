/**
 * What the route table answers for a path it knows with a method it does not
 * (405 with Allow, OPTIONS 204 with Allow), and for a path it does not know
 * (404). Each body says what its status says.
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ErrorBody } from './error-handler.js';

export function routesFallback(router: Router): Middleware {
  return async function answerUnrouted(ctx) {
    const allowed = new Set(router.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods));
    if (allowed.size > 0) {
      allowed.add('OPTIONS');
      const allow = [...allowed].join(', ');
      ctx.set('Allow', allow);
      if (ctx.method === 'OPTIONS') {
        ctx.status = 204;
        return;
      }
      ctx.status = 405;
      ctx.body = errorBody(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow}`);
      return;
    }
    ctx.status = 404;
    ctx.body = errorBody(404, 'not_found', `no route for ${ctx.method} ${ctx.path}; Nova's target is POST /v1/`);
  };
}

function errorBody(code: number, title: string, message: string): ErrorBody {
  return { error: { code, title, message } };
}

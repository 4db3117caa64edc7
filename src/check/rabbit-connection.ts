/**
 * The RabbitMQ line of `novajoin check`: a connection to each endpoint of
 * [DEFAULT] transport_url in turn, until one takes it.
 */
import { connect } from 'amqplib';
import { loadBrokerTls } from '../notify/broker-tls.js';
import { parseTransportUrl } from '../notify/transport-url.js';
import { fail, oneLine, withDeadline, type CheckContext, type CheckLine } from './checks.js';

export async function checkRabbit(ctx: CheckContext): Promise<CheckLine> {
  let endpoints;
  try {
    endpoints = parseTransportUrl(ctx.config.notifications.transportUrl, loadBrokerTls(ctx.config.notifications.tls));
  } catch (error) {
    return fail('RabbitMQ', error, 'fix [DEFAULT] transport_url');
  }
  const what = `RabbitMQ ${endpoints.map((e) => e.display).join(', ')}`;
  const errors: string[] = [];
  for (const endpoint of endpoints) {
    try {
      await withDeadline(ctx.timeoutMs, async () => {
        const model = await connect({ ...endpoint.options, heartbeat: 0 }, { ...endpoint.socket, timeout: ctx.timeoutMs, clientProperties: { connection_name: 'novajoin check' } });
        model.on('error', () => undefined);
        await model.close();
      });
      return { ok: true, what };
    } catch (error) {
      errors.push(`${endpoint.display}: ${oneLine(error)}`);
    }
  }
  return { ok: false, what, why: errors.join('; '), fix: 'check [DEFAULT] transport_url (host, port, user, password, vhost) and that RabbitMQ is up' };
}

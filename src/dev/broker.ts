/**
 * Whether a RabbitMQ answers at the configured transport URL, asked once
 * with a short timeout before `novajoin dev` starts its listener, so that a
 * machine without RabbitMQ gets one clear sentence instead of a listener
 * retrying in the background.
 */
import { connect } from 'amqplib';
import { loadBrokerTls, type BrokerTlsFiles } from '../notify/broker-tls.js';
import { parseTransportUrl } from '../notify/transport-url.js';

export type BrokerProbe = { readonly ok: true; readonly display: string } | { readonly ok: false; readonly display: string; readonly reason: string };

export async function brokerAnswers(transportUrl: string, tls: BrokerTlsFiles, timeoutMs: number): Promise<BrokerProbe> {
  let endpoints;
  try {
    endpoints = parseTransportUrl(transportUrl, loadBrokerTls(tls));
  } catch (error) {
    return { ok: false, display: '[DEFAULT] transport_url', reason: (error as Error).message };
  }
  let reason = 'no broker configured';
  for (const endpoint of endpoints) {
    try {
      const model = await connect(endpoint.options, { ...endpoint.socket, timeout: timeoutMs });
      await model.close().catch(() => undefined);
      return { ok: true, display: endpoint.display };
    } catch (error) {
      reason = (error as Error).message || String(error);
    }
  }
  return { ok: false, display: endpoints.map((e) => e.display).join(', '), reason };
}

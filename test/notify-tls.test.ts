/**
 * TLS to RabbitMQ, configured as oslo.messaging configures it
 * ([oslo_messaging_rabbit] ssl_ca_file, ssl_cert_file, ssl_key_file): the
 * listener talks TLS to a TLS front of the test's own (Node's TLS server,
 * test CA certificate) that forwards to the machine's RabbitMQ, verifies the
 * broker's certificate, and presents a client certificate when the broker
 * demands one.
 */
import test from 'ava';
import { connect as netConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { loadBrokerTls } from '../src/notify/broker-tls.js';
import { parseTransportUrl } from '../src/notify/transport-url.js';
import { makeTestCa, type TestCa } from './support/tls.js';
import { legacyDelete, openBroker, osloBody, RecordingHandler, startTestConsumer, testConfig } from './support/notify.js';
import { makeTempDir, removeDir } from './support/tmp.js';

let dir: string;
let ca: TestCa;

test.before(async () => {
  dir = await makeTempDir('notify-tls');
  ca = await makeTestCa(dir, ['localhost']);
});
test.after.always(async () => removeDir(dir));

/** A TLS front for 127.0.0.1:5672, as a broker's TLS listener (5671) is; counts the handshakes it completed. */
async function tlsFront(options: { requireClientCert: boolean }): Promise<{ url: (user?: string) => string; secured: () => number; close(): Promise<void> }> {
  let secured = 0;
  const server: Server = createServer(
    {
      cert: readFileSync(ca.certFile),
      key: readFileSync(ca.keyFile),
      ca: readFileSync(ca.caFile),
      requestCert: options.requireClientCert,
      rejectUnauthorized: options.requireClientCert,
    },
    (socket: TLSSocket) => {
      secured += 1;
      const upstream = netConnect(5672, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: () => `amqps://guest:guest@localhost:${port}/`,
    secured: () => secured,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const tlsFiles = (files: Partial<{ caFile: string; certFile: string; keyFile: string }>) => ({ enabled: false, caFile: '', certFile: '', keyFile: '', ...files });

test('amqps:// with ssl_ca_file: the listener verifies the broker and consumes over TLS', async (t) => {
  const front = await tlsFront({ requireClientCert: false });
  t.teardown(() => front.close());
  const config = testConfig({ tls: tlsFiles({ caFile: ca.caFile }) });
  const handler = new RecordingHandler();
  const consumer = await startTestConsumer(t, config, handler, { url: front.url() });
  t.is(consumer.state, 'consuming');
  t.true(front.secured() >= 1);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  channel.publish(config.nova, config.routingKey, osloBody(legacyDelete('over-tls')));
  await handler.waitFor(() => handler.applied.length === 1, 'the message consumed over TLS');
});

test('a broker certificate from another CA is refused at start, with the reason', async (t) => {
  const front = await tlsFront({ requireClientCert: false });
  t.teardown(() => front.close());
  const config = testConfig({ tls: tlsFiles({ caFile: ca.otherCaFile }) });
  const error = await t.throwsAsync(startTestConsumer(t, config, new RecordingHandler(), { url: front.url() }));
  t.regex(error?.message ?? '', /cannot start on amqps:\/\/guest@localhost:\d+.*(certificate|issuer)/i);
});

test('a broker that demands a client certificate gets ssl_cert_file/ssl_key_file; without them it is refused', async (t) => {
  const front = await tlsFront({ requireClientCert: true });
  t.teardown(() => front.close());
  const withCert = testConfig({ tls: tlsFiles({ caFile: ca.caFile, certFile: ca.certFile, keyFile: ca.keyFile }) });
  const consumer = await startTestConsumer(t, withCert, new RecordingHandler(), { url: front.url() });
  t.is(consumer.state, 'consuming');
  await consumer.close();

  const without = testConfig({ tls: tlsFiles({ caFile: ca.caFile }) });
  const refused = startTestConsumer(t, without, new RecordingHandler(), { url: front.url(), reconnect: { initialMs: 50, maxMs: 100 } });
  // A TLS alert from the broker is not a verification failure of ours: the listener keeps retrying, it never consumes.
  const outcome = await Promise.race([refused.then(() => 'consuming'), new Promise((r) => setTimeout(() => r('still retrying'), 3000))]);
  t.is(outcome, 'still retrying');
});

test('ssl = true turns rabbit:// into TLS; a missing CA file, or a certificate without its key, is an error naming the option', (t) => {
  t.throws(() => loadBrokerTls(tlsFiles({ caFile: '/nonexistent/ca.pem' })), { message: /\[oslo_messaging_rabbit\] ssl_ca_file \/nonexistent\/ca\.pem: ENOENT/ });
  t.throws(() => loadBrokerTls(tlsFiles({ certFile: ca.certFile })), { message: /ssl_cert_file and ssl_key_file go together/ });
  const [endpoint] = parseTransportUrl('rabbit://guest:guest@localhost/', loadBrokerTls({ ...tlsFiles({ caFile: ca.caFile }), enabled: true }));
  t.is(endpoint?.options.protocol, 'amqps');
  t.is(endpoint?.options.port, 5671);
  t.is(endpoint?.socket['servername'], 'localhost');
  t.true(Buffer.isBuffer(endpoint?.socket['ca']));
  t.is(parseTransportUrl('rabbit://guest:guest@localhost/', loadBrokerTls(tlsFiles({})))[0]?.options.protocol, 'amqp');
});

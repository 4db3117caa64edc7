/**
 * The shipped Grafana dashboard (config/grafana/novajoin-dashboard.json)
 * against a real Prometheus (Debian's) scraping a real novajoin-server and
 * novajoin-notify after a join and a delete: every query of every panel is
 * valid PromQL and returns data, so no panel is empty on a working
 * deployment because of a renamed metric or a typo.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningNotify } from '../src/notify/start.js';
import type { RunningServer } from '../src/server/start.js';
import { startNovajoinEnv, type NovajoinEnv } from './support/novajoin-env.js';
import { loadFixtures, openBroker, publishOptions } from './support/notify.js';
import { freePort } from './support/tmp.js';
import { until } from './support/until.js';

/** Prometheus answers errors until it has started; it scrapes every few seconds. */
const POLL = { timeoutMs: 30_000, intervalMs: 250, tolerateErrors: true } as const;

const DASHBOARD = JSON.parse(readFileSync(new URL('../config/grafana/novajoin-dashboard.json', import.meta.url), 'utf8')) as Dashboard;
const PROJECT = 'c97027dd880d4c129ae7a4ba7edade05';

interface Dashboard {
  title: string;
  uid: string;
  templating: { list: Array<{ name: string; type: string }> };
  panels: Array<{ title: string; type: string; gridPos: Record<string, number>; targets: Array<{ refId: string; expr: string }> }>;
}

let env: NovajoinEnv;
let server: RunningServer;
let notify: RunningNotify;
let prometheus: ChildProcess;
let prometheusUrl: string;
let broker: Awaited<ReturnType<typeof openBroker>>;
const id = randomUUID();

test.before(async () => {
  env = await startNovajoinEnv();
  const config = await env.config(
    ['[notifications]', `dead_letter_queue = grafana-${id}.dead`, `retry_queue_prefix = grafana-${id}`, `exchanges = grafana-nova-${id}`, `topics = grafana-${id}`, 'health_file = '].join('\n'),
  );
  server = await env.startServer(config);
  notify = await env.startNotify(config);

  // A join and a delete, so that the labelled series exist.
  const res = await fetch(`${server.url}/v1/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Token': env.novaToken() },
    body: JSON.stringify({ 'project-id': PROJECT, 'instance-id': randomUUID(), 'image-id': '', hostname: `grafana-${id.slice(0, 8)}`, metadata: { ipa_enroll: 'True' } }),
  });
  if (res.status !== 200) throw new Error(`join failed: ${res.status}`);
  broker = await openBroker();
  const fixture = loadFixtures().find((f) => f.file.startsWith('delete--versioned'))!;
  // A topic of this test's own: queues named after topics are shared by every listener of that topic.
  broker.channel.publish(`grafana-nova-${id}`, `grafana-${id}.info`, fixture.body, publishOptions(fixture.properties));

  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  const notifyPort = notify.listener.http!.port;
  await writeFile(
    join(env.dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      `  - { job_name: novajoin-server, static_configs: [ { targets: ["${new URL(server.url).host}"] } ] }`,
      `  - { job_name: novajoin-notify, static_configs: [ { targets: ["127.0.0.1:${notifyPort}"] } ] }`,
      '',
    ].join('\n'),
  );
  prometheus = spawn(
    'prometheus',
    [`--config.file=${join(env.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(env.dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  // Two scrapes of each job at least, so that rate() has two samples.
  await until('Prometheus to scrape both services', () => query('count_over_time(up[1m]) >= 3'), (up) => up.length === 2, POLL);
});

test.after.always(async () => {
  prometheus?.kill('SIGKILL');
  await env?.stop();
  if (!broker) return;
  for (const q of [`grafana-${id}`, `grafana-${id}.dead`, `grafana-${id}.info`, `grafana-${id}.error`]) await broker.channel.deleteQueue(q).catch(() => undefined);
  await broker.channel.deleteExchange(`grafana-nova-${id}`).catch(() => undefined);
  await broker.model.close();
});

async function query(expr: string): Promise<unknown[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data?.result ?? [];
}

/** Grafana's variables as Grafana would expand them with "All" selected. */
const expand = (expr: string) => expr.replaceAll('$__rate_interval', '30s').replaceAll('$job', '.*').replaceAll('$instance', '.*');

test('the dashboard is a Grafana dashboard with a Prometheus data source variable', (t) => {
  t.is(DASHBOARD.uid, 'novajoin');
  t.truthy(DASHBOARD.templating.list.find((v) => v.name === 'datasource' && v.type === 'datasource'));
  t.true(DASHBOARD.panels.length >= 10);
  for (const panel of DASHBOARD.panels) {
    t.truthy(panel.gridPos['w'] && panel.gridPos['h'], panel.title);
    t.true(panel.targets.length > 0, panel.title);
  }
});

test('every panel query is valid PromQL and returns data from the running services', async (t) => {
  // A delete (and its metrics) settle asynchronously; wait for the listener's series before querying.
  await until('the listener\'s series in Prometheus', () => query('novajoin_notify_messages_total'), (series) => series.length > 0, POLL);
  for (const panel of DASHBOARD.panels) {
    for (const target of panel.targets) {
      const result = await query(expand(target.expr));
      t.true(result.length > 0, `${panel.title} ${target.refId}: ${target.expr} returned nothing`);
    }
  }
});

test('a query for a metric the services do not export returns nothing (the check can fail)', async (t) => {
  t.deepEqual(await query(expand('rate(novajoin_no_such_metric_total{job=~"$job"}[$__rate_interval])')), []);
});

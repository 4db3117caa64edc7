/**
 * `npm run bench`: a boot storm against novajoin-server, then a delete storm
 * through novajoin-notify (design section 7, B1, B7).
 *
 * Processes: this one runs the test FreeIPA (emulator over HTTPS, memory
 * store, a set per-call latency) and the test Keystone/Glance; the service
 * runs in its own process (bench/server-process.ts: the production entry
 * point's path), so its RSS is its own; Nova is played by a third process
 * (bench/load.ts) sending Nova's exact request.
 *
 * Phases:
 *  1. warm-up: Keystone token validation, Glance image and FreeIPA session
 *     cached, the service's code optimised by V8 (a cold process runs the
 *     first storm about a third slower); not measured;
 *  2. calibration, one request at a time: FreeIPA round trips and writes per
 *     first join and per repeat join (exact counter deltas), and the service
 *     overhead per join (latency minus the FreeIPA calls the service made
 *     during that join);
 *  3. the storm, one table row per combination of --instances,
 *     --concurrency, --repeats and --latency;
 *  3b. the storm against FreeIPA's capacity (bench/capacity.ts): W workers
 *     and a service time per call kind instead of a latency, and a search
 *     for the highest instance arrival rate the service sustains;
 *  4. deletes: versioned instance.delete.end for the storm's hosts published
 *     to RabbitMQ, novajoin-notify removing them from FreeIPA.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, makeTempDir, removeDir } from '../test/support/tmp.js';
import { startOpenStack } from '../test/support/openstack-servers.js';
import { calibrateJoins } from './calibration.js';
import { searchCapacity, type CapacityReport } from './capacity.js';
import { writeBenchConfig } from './config.js';
import { runDeleteStorms } from './delete-storms.js';
import { startBenchIpa, type BenchIpa } from './ipa.js';
import { runJoinStorms } from './join-storm.js';
import { describeErrors, driver, errorsOf, makeInstances } from './load-client.js';
import type { LoadResult, LoadSpec } from './load.js';
import { loadConfigFile } from '../src/config/load.js';
import { forkTs, memoryOf, removeBundles, watchMemory, type Child } from './proc.js';
import { summariseProfile } from './profile-summary.js';
import { opts, latencyList, timeoutMs, ipaConcurrency, warmup, capacitySpec, calibrate, prefetch, runtime } from './options.js';
import { renderReport } from './report.js';
import { mb } from './stats.js';
import { renderTargets } from './targets.js';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const runId = randomUUID().slice(0, 8);

// ---- the run -------------------------------------------------------------------

const dir = await makeTempDir('novajoin-bench');
const logDir = join(dir, 'logs');
const profileDir = join(dir, 'profiles');
mkdirSync(logDir);
mkdirSync(profileDir);
const serverLog = openSync(join(logDir, 'novajoin-server.log'), 'a');
const notifyLog = openSync(join(logDir, 'novajoin-notify.log'), 'a');
const nodeFlags = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];

let ipa: BenchIpa | undefined;
let openstack: Awaited<ReturnType<typeof startOpenStack>> | undefined;
let server: Child<{ type: 'ready'; url: string; pid: number }> | undefined;
let load: Child<{ type: 'ready' }> | undefined;
let failed = false;

try {
  log(`run ${runId}, directory ${dir}`);
  ipa = await startBenchIpa(dir, latencyList[0]!);
  openstack = await startOpenStack();
  const imageId = openstack.addImage({ name: 'rhel-9', properties: { os_distro: 'rhel', os_version: '9.4' } });
  const projectId = openstack.projects.demo.id;
  // Nova's [vendordata_dynamic_auth] user: nova in project service.
  const { token } = openstack.issueToken('nova', 'service');
  const benchConfig = {
    dir,
    port: await freePort(),
    ipa,
    keystoneUrl: openstack.keystoneUrl,
    keystoneUser: openstack.users.novajoin.name,
    keystonePassword: openstack.users.novajoin.password,
    ipaConcurrency,
    notifications: {
      retryQueuePrefix: `novajoin-bench-${runId}`,
      deadLetterQueue: `novajoin-bench-${runId}.dead`,
      exchange: `novajoin-bench-nova-${runId}`,
      topic: `novajoin-bench-${runId}`,
      prefetch,
    },
  };
  const configFile = writeBenchConfig(benchConfig);

  server = await forkTs('bench/server-process.ts', { args: ['--config-file', configFile], nodeFlags, logFd: serverLog, runtime });
  load = await forkTs('bench/load.ts');
  const srv = server;
  const slots = loadConfigFile(configFile).config.freeipa.maxConcurrency;
  const gen = load;
  const idleRss = memoryOf(srv.pid)?.rss ?? NaN;
  log(`novajoin-server pid ${srv.pid} at ${srv.ready.url} (${runtime === 'bundle' ? 'plain JavaScript' : 'through tsx'}), RSS ${mb(idleRss)} after start`);

  const drive = driver(gen, srv.ready.url, token);
  const instances = (name: string, count: number) => makeInstances(`bench${runId}-${name}`, count, projectId, imageId);

  // 1. warm-up
  if (warmup > 0) {
    const result = await drive(instances('w', warmup), Math.min(warmup, 50), 2);
    const errors = errorsOf(result.records);
    if (errors.size > 0) throw new Error(`warm-up joins failed (${describeErrors(errors)}); see ${join(logDir, 'novajoin-server.log')}`);
  }

  // 2. calibration, one request at a time
  ipa.emulator.setLatency(latencyList[0]!);
  const calibration = await calibrateJoins(ipa, srv, drive, instances('c', calibrate));

  // 3. the storm
  const storms = await runJoinStorms({ ipa, srv, gen, drive, slots, instances, log }, calibration);
  let peakRss = storms.peakRss;

  // 3b. the storm against FreeIPA's capacity
  let capacity: CapacityReport | null = null;
  if (capacitySpec.workers > 0) {
    let trial = 0;
    const memory = watchMemory(srv.pid);
    capacity = await searchCapacity(
      {
        ipa,
        log,
        instances: (count) => instances(`k${++trial}`, count),
        drive: (instances, rate) =>
          gen.ask<LoadResult>({ type: 'run', url: srv.ready.url, token, instances, concurrency: 1000, repeats: capacitySpec.repeats, parallelRepeats: false, timeoutMs, arrivalsPerSecond: rate } satisfies LoadSpec, 'result'),
      },
      capacitySpec,
    );
    peakRss = Math.max(peakRss, memory.stop(), memoryOf(srv.pid)?.peak ?? 0);
  }

  // 4. deletes, once per queue type, each with its own topic and queues
  const deleteResults = await runDeleteStorms({ ipa, runId, benchConfig, instances, logFd: notifyLog, nodeFlags, log }, storms.hosts);

  // ---- report ------------------------------------------------------------------
  const results = { calibration, storms, capacity, deleteResults, slots, idleRss, peakRss };
  const out = [...renderReport(results), ...renderTargets(results)];
  process.stdout.write(`${out.join('\n')}\n`);

  if (opts.profile) {
    await srv.stop();
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (tsx's loader thread is not ours).
    const files = readdirSync(profileDir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    for (const file of files) process.stdout.write(`\n${summariseProfile(join(profileDir, file))}\n`);
    if (files.length === 0) process.stdout.write('\nno CPU profile was written (the process did not exit by itself)\n');
  }
} catch (error) {
  failed = true;
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.stderr.write(`logs: ${logDir}\n`);
} finally {
  await load?.stop().catch(() => undefined);
  await server?.stop().catch(() => undefined);
  await ipa?.emulator.close().catch(() => undefined);
  await openstack?.stop().catch(() => undefined);
  removeBundles();
  closeSync(serverLog);
  closeSync(notifyLog);
  if (opts.keep || failed) log(`kept ${dir}`);
  else await removeDir(dir);
}
process.exitCode = failed ? 1 : 0;

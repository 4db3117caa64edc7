/**
 * `npm run bench`'s command line: the usage text, the parsed options and
 * their checks (a bad value exits 2 with the option named), read once when
 * the benchmark starts.
 */
import { parseArgs } from 'node:util';
import type { CapacitySpec } from './capacity.js';
import { DEFAULT_FIXTURE } from './deletes.js';
import { bundleAvailable, type Runtime } from './proc.js';

const USAGE = `Usage: npm run bench -- [options]

Boot storm against novajoin-server and delete storm through novajoin-notify,
with the test FreeIPA answering after a set latency. Lists (1,2,3) in
--instances, --concurrency, --repeats and --latency give one table row per
combination.

Join storm:
  --instances N        instances booted (default 1000)
  --concurrency C      instances asking at the same time (default 200)
  --repeats R          requests per instance: Nova asks on every guest read of
                       vendor_data2.json and 5 times per config-drive build (default 5)
  --latency MS         FreeIPA latency added to every HTTP request (default 20)
  --parallel-repeats   send an instance's R requests at once instead of one after another
  --timeout MS         Nova's vendordata_dynamic_read_timeout (default 5000)
  --ipa-concurrency N  [freeipa] max_concurrency of the service (default: the shipped default)
  --warmup N           instances joined (twice each, 50 at a time) before measuring, so that the
                       service is measured with its code optimised, as a long-running one is (default 300)
  --calibrate N        instances joined one at a time for round trips and overhead (default 50)

FreeIPA capacity (the test FreeIPA serving as a real one: a few workers, a service time per call):
  --ipa-workers W      FreeIPA workers (mod_wsgi processes); 0 skips this part (default 4)
  --ipa-read-ms MS     service time of a request that changes nothing (default 10)
  --ipa-write-ms MS    service time of a request that changes something (default 30)
  --ipa-item-ms MS     added per further command of a batch (default 3)
  --trial-seconds S    seconds of arrivals per trial of the rate search (default 10)
  --trials N           trials of the rate search at most (default 6)
  --search-budget S    no trial starts after this many seconds of searching (default 180)

Deletes:
  --deletes N          instance.delete.end messages (default: as many as --instances; 0 skips)
  --delete-latency MS  FreeIPA latency during the deletes (default 5)
  --delete-wait S      longest wait for the last host to go (default 60)
  --prefetch N         [notifications] prefetch of novajoin-notify (default: the shipped default)
  --queue-types LIST   [notifications] queue_type values, one delete storm each (default classic,quorum)
  --fixture FILE       the captured versioned delete (default test/fixtures/nova-notifications/delete--versioned--instance.delete.end.json)

Diagnostics:
  --runtime bundle|tsx how the services run: bundle = plain JavaScript as in production (default),
                       tsx = the TypeScript sources through tsx (default with --profile: file names in profiles)
  --profile            run the service (and notify) under node --cpu-prof and print the hottest functions
  --keep               keep the run directory (config, logs, profiles)
  --help
`;

export const { values: opts } = parseArgs({
  options: {
    instances: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '200' },
    repeats: { type: 'string', default: '5' },
    latency: { type: 'string', default: '20' },
    'parallel-repeats': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '5000' },
    'ipa-concurrency': { type: 'string' },
    warmup: { type: 'string', default: '300' },
    calibrate: { type: 'string', default: '50' },
    'ipa-workers': { type: 'string', default: '4' },
    'ipa-read-ms': { type: 'string', default: '10' },
    'ipa-write-ms': { type: 'string', default: '30' },
    'ipa-item-ms': { type: 'string', default: '3' },
    'trial-seconds': { type: 'string', default: '10' },
    trials: { type: 'string', default: '6' },
    'search-budget': { type: 'string', default: '180' },
    deletes: { type: 'string' },
    'delete-latency': { type: 'string', default: '5' },
    'delete-wait': { type: 'string', default: '60' },
    prefetch: { type: 'string' },
    'queue-types': { type: 'string', default: 'classic,quorum' },
    fixture: { type: 'string', default: DEFAULT_FIXTURE },
    profile: { type: 'boolean', default: false },
    runtime: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function int(name: string, text: string, min = 0): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be a whole number >= ${min}, not "${text}"\n`);
    process.exit(2);
  }
  return n;
}
const ints = (name: string, text: string, min = 0) => text.split(',').map((t) => int(name, t.trim(), min));

export const instancesList = ints('instances', opts.instances, 1);
export const concurrencyList = ints('concurrency', opts.concurrency, 1);
export const repeatsList = ints('repeats', opts.repeats, 1);
export const latencyList = ints('latency', opts.latency, 0);
export const timeoutMs = int('timeout', opts.timeout, 1);
export const ipaConcurrency = opts['ipa-concurrency'] !== undefined ? int('ipa-concurrency', opts['ipa-concurrency'], 1) : undefined;
export const warmup = int('warmup', opts.warmup, 0);
export const capacitySpec: CapacitySpec = {
  workers: int('ipa-workers', opts['ipa-workers'], 0),
  readMs: int('ipa-read-ms', opts['ipa-read-ms'], 1),
  writeMs: int('ipa-write-ms', opts['ipa-write-ms'], 1),
  itemMs: int('ipa-item-ms', opts['ipa-item-ms'], 0),
  trialSeconds: int('trial-seconds', opts['trial-seconds'], 1),
  trials: int('trials', opts.trials, 1),
  budgetSeconds: int('search-budget', opts['search-budget'], 1),
  repeats: Math.max(...ints('repeats', opts.repeats, 1)),
  timeoutMs: int('timeout', opts.timeout, 1),
};
export const calibrate = int('calibrate', opts.calibrate, 1);
export const deletes = opts.deletes !== undefined ? int('deletes', opts.deletes, 0) : Math.max(...instancesList);
export const deleteLatency = int('delete-latency', opts['delete-latency'], 0);
export const deleteWaitMs = int('delete-wait', opts['delete-wait'], 1) * 1000;
export const prefetch = opts.prefetch !== undefined ? int('prefetch', opts.prefetch, 1) : undefined;
export const queueTypes = opts['queue-types'].split(',').map((q) => q.trim());
for (const q of queueTypes) {
  if (q !== 'classic' && q !== 'quorum') {
    process.stderr.write(`--queue-types takes classic and quorum, not "${q}"\n`);
    process.exit(2);
  }
}
export const calibrationRepeats = Math.max(...repeatsList);
const runtimeOption = opts.runtime ?? (opts.profile || !bundleAvailable() ? 'tsx' : 'bundle');
if (runtimeOption !== 'bundle' && runtimeOption !== 'tsx') {
  process.stderr.write(`--runtime must be bundle or tsx, not "${runtimeOption}"\n`);
  process.exit(2);
}
export const runtime: Runtime = runtimeOption;

/**
 * How --apply treats each item, with the lifecycle and directory swapped for
 * recording adapters (the real ones are exercised in resync.test.ts).
 */
import test from 'ava';
import { ApplyError, type InstanceRef, type InstanceUpdate } from '../src/domain/lifecycle.js';
import { formatBinding } from '../src/domain/binding.js';
import type { WriteOp } from '../src/domain/ports.js';
import { EntryNotFound } from '../src/domain/errors.js';
import { applyPlan } from '../src/resync/apply.js';
import type { ActualState } from '../src/resync/actual.js';
import { hostFromRecord } from '../src/resync/actual.js';
import type { DesiredState } from '../src/resync/desired.js';
import type { PlanItem } from '../src/resync/types.js';
import { MassRemovalRefused, runResync, type ResyncDependencies } from '../src/resync/run.js';

const item = (kind: PlanItem['kind'], action: PlanItem['action'], fqdn: string, instanceId: string): PlanItem =>
  ({ kind, action, fqdn, instanceId, projectId: 'p1', detail: '', ...(kind === 'conflict' ? { wantedBy: { instanceId: 'x', projectId: 'p1' }, holderExists: action === 'none' } : {}), ...(kind === 'drift' ? { changes: [], refused: [] } : {}), ...(kind === 'stale-otp' ? { issuedAt: '', ageSeconds: 0 } : {}) }) as PlanItem;

function setup(existing: string[] = []) {
  const calls: string[] = [];
  const writes: WriteOp[][] = [];
  const subhost = hostFromRecord({
    dn: 'fqdn=lost.ctl.example.test,cn=computers,cn=accounts,dc=example,dc=test',
    fqdn: 'lost.ctl.example.test',
    description: [formatBinding({ kind: 'subhost', projectId: 'p1', instanceId: 'i-orphan' })],
    userClass: [],
    nsHostLocation: null,
    krbPrincipalName: ['host/lost.ctl.example.test@EXAMPLE.TEST'],
    krbLastPwdChange: null,
    managedBy: [],
  });
  const actual: ActualState = { hosts: new Map([[subhost.fqdn, subhost]]), services: new Map(), byInstance: new Map(), managedBy: new Map() };
  const desired: DesiredState = {
    servers: new Map([
      ['i-drift', { server: { id: 'i-drift', name: 'd', hostname: 'd', projectId: 'p1', metadata: { ipa_enroll: 'True' }, imageId: '', status: 'ACTIVE', addresses: {} }, imageProperties: { os_distro: 'debian' }, projectName: 'demo', asksToEnroll: true }],
    ]),
  };
  const deps = {
    lifecycle: {
      async deleted(ref: InstanceRef) {
        calls.push(`deleted ${ref.instanceId}`);
        if (ref.instanceId === 'i-refused') throw new ApplyError('delete: FreeIPA refused 1 of 2 operations', ['deleteHost x: ACIError: no']);
        return 'applied' as const;
      },
      async updated(update: InstanceUpdate) {
        calls.push(`updated ${update.instanceId} ${JSON.stringify(update.metadata)} ${JSON.stringify(update.imageProperties)}`);
        return 'ignored' as const;
      },
    },
    directory: {
      async write(ops: readonly WriteOp[]) {
        writes.push([...ops]);
        return ops.map(() => ({ ok: false as const, error: new EntryNotFound('gone already', 'NotFound') }));
      },
    },
    actual,
    desired,
    serverExists: async (id: string) => existing.includes(id),
    concurrency: 2,
    timeoutMs: 1000,
  };
  return { deps, calls, writes };
}

test('each action goes to the lifecycle (or, for orphans, the directory), and outcomes are reported per item', async (t) => {
  const { deps, calls, writes } = setup(['i-back']);
  const results = await applyPlan(
    [
      item('stale-host', 'delete-host', 'gone.example.test', 'i-gone'),
      item('stale-host', 'delete-host', 'back.example.test', 'i-back'),
      item('stale-otp', 'delete-host', 'idle.example.test', 'i-back'),
      item('stale-host', 'delete-host', 'refused.example.test', 'i-refused'),
      item('conflict', 'none', 'live.example.test', 'i-live'),
      item('drift', 'update-host', 'd.example.test', 'i-drift'),
      item('orphan-subhost', 'delete-subhost', 'lost.ctl.example.test', 'i-orphan'),
    ],
    deps,
  );
  t.deepEqual(
    results.map((r) => [r.item.fqdn, r.outcome]),
    [
      ['gone.example.test', 'applied'],
      ['back.example.test', 'skipped'], // Nova has it after all: never deleted on a stale listing
      ['idle.example.test', 'applied'], // a stale OTP's instance exists by definition
      ['refused.example.test', 'failed'],
      ['live.example.test', 'skipped'],
      ['d.example.test', 'unchanged'],
      ['lost.ctl.example.test', 'unchanged'], // NotFound: someone removed it first
    ],
  );
  t.regex(results[3]!.message!, /refused 1 of 2 operations: deleteHost x: ACIError: no/);
  t.deepEqual(calls.filter((c) => c.startsWith('deleted')).sort(), ['deleted i-back', 'deleted i-gone', 'deleted i-refused']);
  t.true(calls.includes('updated i-drift {"ipa_enroll":"True"} {"os_distro":"debian"}'));
  t.deepEqual(writes, [[{ op: 'deleteHost', fqdn: 'lost.ctl.example.test', updateDns: true }]]);
});

test('an aborted apply starts no further item', async (t) => {
  const { deps, calls } = setup();
  const controller = new AbortController();
  controller.abort();
  const results = await applyPlan([item('stale-host', 'delete-host', 'gone.example.test', 'i-gone')], { ...deps, signal: controller.signal });
  t.is(results[0]?.outcome, 'skipped');
  t.deepEqual(calls, []);
});

test('a plan that would remove most hosts is refused without --force (a broken Nova listing looks like that)', async (t) => {
  const hosts = Array.from({ length: 20 }, (_, i) => ({
    dn: `fqdn=vm${i}.example.test,cn=computers,cn=accounts,dc=example,dc=test`,
    fqdn: `vm${i}.example.test`,
    description: [formatBinding({ kind: 'host', instanceId: `i-${i}`, projectId: 'p1', generation: 1, issuedAt: 1 })],
    userClass: [],
    nsHostLocation: null,
    krbPrincipalName: [`host/vm${i}.example.test@EXAMPLE.TEST`],
    krbLastPwdChange: '20240101000000Z',
    managedBy: [],
  }));
  const deleted: string[] = [];
  const deps: ResyncDependencies = {
    inventory: {
      async *hosts() {
        yield* hosts;
      },
      async *services() {},
    },
    servers: {
      async *pages() {}, // Nova lists nothing
      server: async () => null,
    },
    images: { imageProperties: async () => null },
    projects: { projectName: async () => null },
    directory: { read: async () => t.fail('no FreeIPA read needed') as never, write: async () => [] },
    lifecycle: {
      deleted: async (ref) => (deleted.push(ref.instanceId), 'applied'),
      updated: async () => 'ignored',
    },
    policy: { naming: { domain: 'example.test', projectSubdomain: false, normalizeProject: true, hostnameTemplate: '' }, realm: 'EXAMPLE.TEST', projects: new Map() },
    staleOtpAgeMs: 86_400_000,
    freeipaTimeoutMs: 1000,
    lookupTimeoutMs: 1000,
    concurrency: 4,
  };
  const dry = await runResync(deps, { apply: false });
  t.is(dry.exitCode, 1);
  t.is(dry.plan.items.length, 20);
  await t.throwsAsync(runResync(deps, { apply: true }), { instanceOf: MassRemovalRefused, message: /removes 20 of 20 hosts/ });
  t.deepEqual(deleted, []);
  const forced = await runResync(deps, { apply: true, force: true });
  t.is(forced.exitCode, 0);
  t.is(deleted.length, 20);
});

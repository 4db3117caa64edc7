/**
 * How --apply treats each item, with the lifecycle and directory swapped for
 * recording adapters (the real ones are exercised in resync.test.ts).
 */
import test from 'ava';
import { ApplyError, type InstanceRef, type InstanceUpdate } from '../src/domain/lifecycle.js';
import { formatBinding } from '../src/domain/binding.js';
import type { WriteOp } from '../src/domain/ports.js';
import { NotFoundError } from '../src/freeipa/errors.js';
import { applyPlan } from '../src/resync/apply.js';
import type { ActualState } from '../src/resync/actual.js';
import { hostFromRecord } from '../src/resync/actual.js';
import type { DesiredState } from '../src/resync/desired.js';
import type { PlanItem } from '../src/resync/types.js';

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
        return ops.map(() => ({ ok: false as const, error: new NotFoundError('gone already') }));
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

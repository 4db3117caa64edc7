import test from 'ava';
import { parseOsloMessage, parseOsloTimestamp } from '../src/notify/envelope.js';
import { PoisonMessage } from '../src/notify/errors.js';
import { HANDLED_EVENT_TYPES, parseNotification, type ParseResult } from '../src/notify/parse.js';
import type { InstanceFacts, NovaEvent } from '../src/notify/types.js';
import { expectedFacts, loadFixtures, osloBody, type Fixture } from './support/notify.js';

const fixtures = loadFixtures();

function event(result: ParseResult): NovaEvent {
  if (result.outcome !== 'event') throw new Error(`expected an event, got ${result.outcome}`);
  return result.envelope.event;
}

function facts(result: ParseResult): InstanceFacts {
  const e = event(result);
  if (!('instance' in e)) throw new Error(`expected an instance event, got ${e.kind}`);
  return e.instance;
}

test('there is a fixture for each action in both formats', (t) => {
  t.is(fixtures.length, 8);
  for (const action of ['create', 'update', 'rebuild', 'delete']) {
    t.truthy(fixtures.find((f) => f.file.startsWith(`${action}--versioned--`)), action);
    t.truthy(fixtures.find((f) => f.file.startsWith(`${action}--unversioned--`)), action);
  }
});

for (const fixture of fixtures) {
  test(`fixture ${fixture.file} parses to the right event and facts`, (t) => {
    const action = fixture.file.split('--')[0];
    const result = parseNotification(fixture.body);
    t.is(result.outcome, 'event');
    if (result.outcome !== 'event') return;
    const { envelope } = result;
    t.is(envelope.event.kind as string, `instance.${action}`);
    t.deepEqual(facts(result), expectedFacts(fixture));
    t.is(envelope.eventType, fixture.message['event_type'] as string);
    t.is(envelope.messageId, fixture.message['message_id'] as string);
    t.is(envelope.uniqueId, fixture.message['_unique_id'] as string);
    t.is(envelope.publisherId, fixture.message['publisher_id'] as string);
    t.is(envelope.priority, 'INFO');
    t.is(envelope.timestamp, fixture.message['timestamp'] as string);
  });

  test(`fixture ${fixture.file} parses the same without the oslo envelope (driver messaging v1)`, (t) => {
    const bare = Buffer.from(String(fixture.envelope['oslo.message']), 'utf8');
    t.deepEqual(parseNotification(bare), parseNotification(fixture.body));
  });
}

const versionedUpdate = fixtures.find((f) => f.file === 'update--versioned--instance.update.json')!;
const legacyCreate = fixtures.find((f) => f.file === 'create--unversioned--compute.instance.create.end.json')!;

/** The inner message of a fixture, deep-copied, for variations. */
function inner(fixture: Fixture): Record<string, any> {
  return structuredClone(fixture.message) as Record<string, any>;
}

test('an unknown major version is an UnsupportedVersion outcome, not an error', (t) => {
  const m = inner(versionedUpdate);
  m['payload']['nova_object.version'] = '3.0';
  const result = parseNotification(osloBody(m));
  t.is(result.outcome, 'unsupported_version');
  if (result.outcome !== 'unsupported_version') return;
  t.is(result.payloadName, 'InstanceUpdatePayload');
  t.is(result.version, '3.0');
  t.regex(result.supported, /InstanceUpdatePayload 1\.x, 2\.x/);
  t.is(result.message.eventType, 'instance.update');
});

test('an unknown payload name for a known event is an UnsupportedVersion outcome', (t) => {
  const m = inner(versionedUpdate);
  m['payload']['nova_object.name'] = 'InstanceUpdatePayloadV3';
  t.is(parseNotification(osloBody(m)).outcome, 'unsupported_version');
});

test('older and newer minors of supported majors are read (1.8 update, 2.7 update, 1.12 create)', (t) => {
  for (const version of ['1.8', '2.7']) {
    const m = inner(versionedUpdate);
    m['payload']['nova_object.version'] = version;
    t.is(facts(parseNotification(osloBody(m))).instanceId, '178b0921-8f85-4257-88b6-2e743b5a975c');
  }
  const create = inner(fixtures.find((f) => f.file === 'create--versioned--instance.create.end.json')!);
  create['payload']['nova_object.name'] = 'InstanceCreatePayload';
  create['payload']['nova_object.version'] = '1.12';
  t.is(event(parseNotification(osloBody(create))).kind, 'instance.create');
});

test('a version that is not MAJOR.MINOR is poison', (t) => {
  const m = inner(versionedUpdate);
  m['payload']['nova_object.version'] = 'two';
  const err = t.throws(() => parseNotification(osloBody(m)), { instanceOf: PoisonMessage });
  t.regex(err.reason, /MAJOR\.MINOR/);
});

test('missing optional fields are fine; a missing instance uuid is poison', (t) => {
  const m = inner(versionedUpdate);
  const data = m['payload']['nova_object.data'];
  for (const key of ['host_name', 'display_name', 'image_uuid', 'metadata', 'ip_addresses', 'state', 'tenant_id']) delete data[key];
  const f = facts(parseNotification(osloBody(m)));
  t.deepEqual(f, { instanceId: data.uuid, projectId: '', hostname: null, displayName: null, imageId: null, metadata: {}, imageMeta: {}, fixedIps: [], state: null });

  delete data.uuid;
  const err = t.throws(() => parseNotification(osloBody(m)), { instanceOf: PoisonMessage });
  t.regex(err.reason, /uuid/);

  const legacy = inner(legacyCreate);
  delete legacy['payload']['instance_id'];
  t.throws(() => parseNotification(osloBody(legacy)), { instanceOf: PoisonMessage, message: /instance_id/ });
});

test('metadata that is not a string map is poison; odd image_meta values are dropped', (t) => {
  const m = inner(legacyCreate);
  m['payload']['metadata'] = { ipa_enroll: true };
  t.throws(() => parseNotification(osloBody(m)), { instanceOf: PoisonMessage, message: /string map/ });
  m['payload']['metadata'] = 'ipa_enroll=True';
  t.throws(() => parseNotification(osloBody(m)), { instanceOf: PoisonMessage });
  m['payload']['metadata'] = [{ key: 'ipa_enroll', value: 'True' }];
  m['payload']['image_meta'] = { os_distro: 'fedora', min_ram: 0 };
  const f = facts(parseNotification(osloBody(m)));
  t.deepEqual(f.metadata, { ipa_enroll: 'True' });
  t.deepEqual(f.imageMeta, { os_distro: 'fedora' });
});

test('boot from volume gives imageId "" in both formats; a Glance URL gives its last segment', (t) => {
  const v = inner(versionedUpdate);
  v['payload']['nova_object.data']['image_uuid'] = '';
  t.is(facts(parseNotification(osloBody(v))).imageId, '');

  const l = inner(legacyCreate);
  l['payload']['image_meta'] = { base_image_ref: '' };
  l['payload']['image_ref_url'] = 'http://glance:9292/images/';
  t.is(facts(parseNotification(osloBody(l))).imageId, '');

  const g = inner(legacyCreate);
  g['payload']['image_ref_url'] = 'http://glance:9292/images/155d900f-4e14-4e4c-a73d-069cbf4541e6';
  t.is(facts(parseNotification(osloBody(g))).imageId, '155d900f-4e14-4e4c-a73d-069cbf4541e6');

  const n = inner(legacyCreate);
  n['payload']['image_ref_url'] = null;
  t.is(facts(parseNotification(osloBody(n))).imageId, null);
});

test('fixed IPs are read from legacy fixed_ips and versioned IpPayload objects', (t) => {
  const l = inner(legacyCreate);
  l['payload']['fixed_ips'] = [
    { address: '10.0.0.5', type: 'fixed', version: 4, meta: {}, floating_ips: [], label: 'private', vif_mac: 'fa:16:3e:00:00:01' },
    { address: 'fd00::5', type: 'fixed', version: 6, meta: {}, floating_ips: [], label: 'private', vif_mac: 'fa:16:3e:00:00:01' },
    { type: 'fixed' },
  ];
  t.deepEqual(facts(parseNotification(osloBody(l))).fixedIps, [
    { address: '10.0.0.5', version: 4 },
    { address: 'fd00::5', version: 6 },
  ]);

  const v = inner(versionedUpdate);
  v['payload']['nova_object.data']['ip_addresses'] = [
    {
      'nova_object.name': 'IpPayload', 'nova_object.namespace': 'nova', 'nova_object.version': '1.0',
      'nova_object.data': { address: '192.168.1.3', device_name: 'tapce531f90-19', label: 'private', mac: 'fa:16:3e:4c:2c:30', meta: {}, port_uuid: 'ce531f90-199f-48c0-816c-13e38010b442', version: 4 },
    },
    { 'nova_object.data': { address: '2001:db8::3' } },
  ];
  t.deepEqual(facts(parseNotification(osloBody(v))).fixedIps, [
    { address: '192.168.1.3', version: 4 },
    { address: '2001:db8::3', version: 6 },
  ]);
});

test('event types we do not act on are ignored', (t) => {
  for (const eventType of ['instance.power_off.end', 'compute.instance.exists', 'instance.create.start', 'floatingip.create.end', 'port.update.end']) {
    const m = inner(legacyCreate);
    m['event_type'] = eventType;
    const result = parseNotification(osloBody(m));
    t.is(result.outcome, 'ignored', eventType);
  }
  t.true(HANDLED_EVENT_TYPES.includes('instance.update'));
});

test('malformed bodies and wrong shapes are PoisonMessage with a reason', (t) => {
  const cases: Array<[string | Buffer, RegExp]> = [
    ['{not json', /body is not JSON/],
    ['[1,2]', /not a JSON object/],
    ['"text"', /not a JSON object/],
    [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /UTF-8/],
    [JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{broken' }), /oslo\.message is not JSON/],
    [JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': { event_type: 'x' } }), /oslo\.message is not a string/],
    [JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': '{}' }), /unsupported oslo\.version/],
    [JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{"payload": {}}' }), /event_type is missing/],
    [JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{"event_type": "instance.update"}' }), /payload is missing/],
    [osloBody({ event_type: 'instance.update', payload: { uuid: 'x' } }), /not a versioned nova object/],
    [osloBody({ event_type: 'compute.instance.delete.end', payload: 'x' }), /payload is not an object/],
  ];
  for (const [body, reason] of cases) {
    const err = t.throws(() => parseNotification(body), { instanceOf: PoisonMessage }, String(body));
    t.regex(err.reason, reason);
  }
});

test('the _context_ keys stay out of the parsed message', (t) => {
  const message = parseOsloMessage(legacyCreate.body);
  t.false(JSON.stringify(message).includes('_context_'));
  t.is(message.uniqueId, '008f669317414662814a5f43022695dd');
});

const fip = (floatingip: Record<string, unknown>) =>
  osloBody({ message_id: 'm1', publisher_id: 'network.ctl1', event_type: 'floatingip.update.end', priority: 'INFO', timestamp: '2026-11-22 14:38:50.119257', _unique_id: 'u1', payload: { floatingip } });

test('Neutron floatingip.update.end: associate with and without port_details, and disassociate', (t) => {
  const base = { id: 'f1', floating_ip_address: '192.168.5.201', fixed_ip_address: '172.16.59.10', router_id: 'r1', tenant_id: 'p1', status: 'ACTIVE' };
  t.deepEqual(event(parseNotification(fip({ ...base, port_id: 'port-1' }))), {
    kind: 'floatingip.associate', floatingIp: '192.168.5.201', portId: 'port-1', deviceId: null,
  });
  t.deepEqual(
    event(parseNotification(fip({ ...base, port_id: 'port-1', port_details: { device_id: 'vm-uuid', device_owner: 'compute:nova', name: '', status: 'ACTIVE' } }))),
    { kind: 'floatingip.associate', floatingIp: '192.168.5.201', portId: 'port-1', deviceId: 'vm-uuid' },
  );
  t.deepEqual(
    event(parseNotification(fip({ ...base, port_id: 'port-2', port_details: { device_id: 'router-uuid', device_owner: 'network:router_interface' } }))),
    { kind: 'floatingip.associate', floatingIp: '192.168.5.201', portId: 'port-2', deviceId: null },
  );
  t.deepEqual(event(parseNotification(fip({ ...base, port_id: null, fixed_ip_address: null, router_id: null, port_details: null }))), {
    kind: 'floatingip.disassociate', floatingIp: '192.168.5.201',
  });
  t.throws(() => parseNotification(fip({ port_id: 'p' })), { instanceOf: PoisonMessage, message: /floating_ip_address/ });
  t.throws(() => parseNotification(osloBody({ event_type: 'floatingip.update.end', payload: {} })), { instanceOf: PoisonMessage });
});

test('Neutron floatingip.delete.end and port.delete.end carry the deleted object; an id alone tells nothing', (t) => {
  const neutron = (eventType: string, payload: unknown) => osloBody({ event_type: eventType, payload, message_id: 'm', _unique_id: 'u', publisher_id: 'network.ctl1' });
  const details = { device_id: 'vm-uuid', device_owner: 'compute:nova' };
  t.deepEqual(event(parseNotification(neutron('floatingip.delete.end', { floatingip_id: 'f1', floatingip: { id: 'f1', floating_ip_address: '192.168.5.201', port_id: 'port-1', port_details: details } }))), {
    kind: 'floatingip.delete', floatingIp: '192.168.5.201', portId: 'port-1', deviceId: 'vm-uuid',
  });
  t.deepEqual(event(parseNotification(neutron('floatingip.delete.end', { floatingip_id: 'f1' }))), { kind: 'floatingip.delete', floatingIp: null, portId: null, deviceId: null });
  t.deepEqual(
    event(parseNotification(neutron('port.delete.end', { port_id: 'port-1', port: { id: 'port-1', ...details, fixed_ips: [{ ip_address: '10.0.0.5', subnet_id: 's' }, { ip_address: 'fd00::5', subnet_id: 's6' }] } }))),
    { kind: 'port.delete', deviceId: 'vm-uuid', addresses: [{ address: '10.0.0.5', version: 4 }, { address: 'fd00::5', version: 6 }] },
  );
  t.deepEqual(event(parseNotification(neutron('port.delete.end', { port: { id: 'p', device_id: 'r', device_owner: 'network:router_interface', fixed_ips: [] } }))), {
    kind: 'port.delete', deviceId: null, addresses: [],
  });
  t.throws(() => parseNotification(neutron('port.delete.end', 'nope')), { instanceOf: PoisonMessage });
});

test('legacy network.floating_ip.(dis)associate is read defensively', (t) => {
  const legacy = (eventType: string, payload: unknown) => osloBody({ event_type: eventType, payload, message_id: 'm', _unique_id: 'u' });
  t.deepEqual(event(parseNotification(legacy('network.floating_ip.associate', { instance_id: 'vm-1', floating_ip: '10.1.1.1', project_id: 'p' }))), {
    kind: 'nova.floating_ip.associate', floatingIp: '10.1.1.1', instanceId: 'vm-1',
  });
  t.deepEqual(event(parseNotification(legacy('network.floating_ip.disassociate', { floating_ip: '10.1.1.1' }))), {
    kind: 'nova.floating_ip.disassociate', floatingIp: '10.1.1.1', instanceId: null,
  });
  t.throws(() => parseNotification(legacy('network.floating_ip.associate', { instance_id: 'vm-1' })), { instanceOf: PoisonMessage });
});

test('oslo timestamps parse as UTC', (t) => {
  t.is(parseOsloTimestamp('2026-11-22 14:38:50.119257'), Date.UTC(2026, 10, 22, 14, 38, 50, 119));
  t.is(parseOsloTimestamp('2026-11-22T14:38:50Z'), Date.UTC(2026, 10, 22, 14, 38, 50));
  t.is(parseOsloTimestamp('2026-11-22 14:38:50+01:00'), Date.UTC(2026, 10, 22, 13, 38, 50));
  t.is(parseOsloTimestamp('yesterday'), null);
  t.is(parseOsloTimestamp(''), null);
});

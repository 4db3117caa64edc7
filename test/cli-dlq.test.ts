/**
 * `novajoin dlq` through the real command against the machine's RabbitMQ:
 * a listener dead-letters a poison message and two deletes it cannot apply;
 * list shows them and changes nothing; after the fix, replay sends them back
 * to where Nova published them, each once, with a dry run that moves nothing.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { legacyDelete, openBroker, osloBody, readyCount, RecordingHandler, startTestConsumer, testConfig } from './support/notify.js';
import { makeTempDir, removeDir } from './support/tmp.js';
import { until } from './support/until.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function novajoin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/bin/novajoin.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('list shows what was dead-lettered and changes nothing; replay after the fix applies each message once', async (t) => {
  const dir = await makeTempDir('cli-dlq');
  t.teardown(() => removeDir(dir));
  const config = testConfig();
  let fixed = false;
  const handler = new RecordingHandler(async () => {
    if (!fixed) throw new Error('FreeIPA refused: Insufficient access');
    return 'applied';
  });
  await startTestConsumer(t, config, handler);
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  const first = legacyDelete('dlq-one');
  const second = legacyDelete('dlq-two');
  channel.publish(config.nova, config.routingKey, osloBody(first), { deliveryMode: 2 });
  channel.publish(config.nova, config.routingKey, osloBody(second), { deliveryMode: 2 });
  channel.publish(config.nova, config.routingKey, Buffer.from('{not json'), { deliveryMode: 2 });
  await until('three dead letters', () => readyCount(config.deadLetterQueue), (n) => n === 3, { timeoutMs: 30_000 });

  const conf = join(dir, 'join.conf');
  await writeFile(conf, `[DEFAULT]\ntransport_url = ${config.transportUrl}\n[notifications]\ndead_letter_queue = ${config.deadLetterQueue}\n`);
  const listed = await novajoin(['dlq', 'list', '--config-file', conf, '--json']);
  t.is(listed.code, 1, listed.stderr);
  const { messages } = JSON.parse(listed.stdout) as { messages: Array<{ id: string; eventType: string | null; instance: string | null; reason: string; attempts: number; exchange: string; routingKey: string }> };
  t.is(messages.length, 3);
  const one = messages.find((m) => m.instance === 'dlq-one')!;
  t.is(one.eventType, 'compute.instance.delete.end');
  t.is(one.id, first['message_id'] as string);
  t.regex(one.reason, /Insufficient access/);
  t.is(one.exchange, config.nova);
  t.is(one.routingKey, config.routingKey);
  t.regex(messages.find((m) => m.eventType === null)?.reason ?? '', /not JSON/);
  t.is(await readyCount(config.deadLetterQueue), 3, 'list moved nothing');
  const text = await novajoin(['dlq', 'list', '--config-file', conf]);
  t.regex(text.stdout, /^failed at +event type +message id +instance +attempts +reason$/m);

  fixed = true;
  const dry = await novajoin(['dlq', 'replay', '--config-file', conf, '--id', one.id, '--dry-run']);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, new RegExp(`would replay ${one.id}`));
  t.is(await readyCount(config.deadLetterQueue), 3, 'a dry run moves nothing');

  const replayed = await novajoin(['dlq', 'replay', '--config-file', conf, '--id', one.id]);
  t.is(replayed.code, 0, replayed.stderr);
  await handler.waitFor(() => handler.applied.some((e) => e.uniqueId === first['_unique_id']), 'the replayed message applied');
  t.is(await readyCount(config.deadLetterQueue), 2);

  const again = await novajoin(['dlq', 'replay', '--config-file', conf, '--id', one.id]);
  t.is(again.code, 1);
  t.regex(again.stdout, new RegExp(`not found ${one.id}`));

  const all = await novajoin(['dlq', 'replay', '--config-file', conf, '--all']);
  t.is(all.code, 0, all.stderr);
  await handler.waitFor(() => handler.applied.some((e) => e.uniqueId === second['_unique_id']), 'the second message applied');
  // The poison message is poison still: back in the dead-letter queue, with its reason.
  await until('the poison message dead-lettered again', () => readyCount(config.deadLetterQueue), (n) => n === 1, { timeoutMs: 30_000 });
  for (const m of [first, second]) t.is(handler.applied.filter((e) => e.uniqueId === m['_unique_id']).length, 1);
});

test('replay needs --id or --all (exit 2, nothing moved)', async (t) => {
  const res = await novajoin(['dlq', 'replay']);
  t.is(res.code, 2);
  t.regex(res.stderr, /give --id \(one or more\) or --all/);
});

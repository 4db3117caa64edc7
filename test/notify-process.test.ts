/**
 * A real process receiving SIGTERM while a notification is being handled:
 * the handler finishes, the message is acked, and the process exits by itself
 * (no socket or timer left behind).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cleanupAfter, legacyDelete, openBroker, osloBody, readyCount, testConfig } from './support/notify.js';

const script = fileURLToPath(new URL('./support/notify-process.ts', import.meta.url));

test('SIGTERM drains the work in flight, acks it, and the process exits cleanly', async (t) => {
  const config = testConfig({ drainTimeoutMs: 20_000 });
  cleanupAfter(t, config);
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  t.teardown(() => {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const steps: Array<{ step: string; uniqueId?: string; state?: string }> = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    steps.push(JSON.parse(line) as { step: string });
    for (const w of waiters) w();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const waitStep = (step: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => steps.some((s) => s.step === step) && resolve();
      waiters.push(check);
      check();
      void exited.then(() => reject(new Error(`process exited before "${step}"; stderr: ${stderr}`)));
    });

  await waitStep('ready');
  const { model, channel } = await openBroker();
  t.teardown(() => model.close().catch(() => undefined));
  const m = legacyDelete('sigterm');
  channel.publish(config.nova, config.routingKey, osloBody(m));
  await waitStep('handling');
  child.kill('SIGTERM');
  const [code, signal] = await exited;

  t.is(signal, null);
  t.is(code, 0, stderr);
  t.deepEqual(steps.map((s) => s.step), ['ready', 'handling', 'applied', 'closed']);
  t.is(steps.at(-1)?.state, 'stopped');
  t.is(await readyCount(config.queue), 0);
  t.regex(stderr, /signal received, draining/);
});

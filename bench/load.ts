/**
 * The load generator, forked by bench/run.ts so that it never shares an
 * event loop with the service or the test servers. It plays Nova: each
 * instance is asked `repeats` times (a guest reading vendor_data2.json, or the
 * five POSTs of a config-drive build), `concurrency` instances at a time,
 * with Nova's exact request (nova-request.ts) over a keep-alive connection
 * pool, and Nova's read timeout.
 *
 * It checks every answer as the guest would use it: 200, a JSON object with
 * hostname, krb_realm and ipaotp, and the same OTP on every answer for one
 * instance (design B1). Anything else is an error, by kind.
 *
 * Protocol (IPC): run.ts sends a LoadSpec, this answers with a LoadResult.
 */
import http from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { novaBody, novaHeaders, type NovaInstance } from './nova-request.js';

export interface LoadSpec {
  readonly type: 'run';
  /** Base URL of the service, e.g. http://127.0.0.1:9090 */
  readonly url: string;
  readonly token: string | null;
  readonly instances: readonly NovaInstance[];
  readonly concurrency: number;
  readonly repeats: number;
  /** Ask the repeats of one instance all at once (config drive and metadata reads racing), not one after another. */
  readonly parallelRepeats: boolean;
  /** Nova's vendordata_dynamic_read_timeout, in ms. */
  readonly timeoutMs: number;
  /**
   * Open loop: instances boot at this many per second (Poisson arrivals, a
   * fixed seed), whatever the answers take, as a cloud's scheduler does;
   * `concurrency` then only bounds the connection pool.
   */
  readonly arrivalsPerSecond?: number;
}

/** One request: [instance index, repeat number, start (epoch ms), duration ms, HTTP status (0: none), error kind or ''] */
export type RequestRecord = [number, number, number, number, number, string];

export interface LoadResult {
  readonly type: 'result';
  readonly records: RequestRecord[];
  readonly wallMs: number;
  /** Instances whose answers did not all carry the same OTP (B1). */
  readonly otpMismatches: number;
}

const epochNow = () => performance.timeOrigin + performance.now();

interface Answer {
  status: number;
  error: string;
  otp: string | null;
}

function post(agent: http.Agent, base: URL, token: string | null, instance: NovaInstance, timeoutMs: number): Promise<Answer> {
  const body = novaBody(instance);
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: Answer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const req = http.request(
      { host: base.hostname, port: base.port, path: '/v1/', method: 'POST', agent, setHost: false, headers: novaHeaders(base.host, token, body), signal: AbortSignal.timeout(timeoutMs) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => done({ status: res.statusCode ?? 0, error: 'read', otp: null }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status !== 200) return done({ status, error: `http-${status}`, otp: null });
          try {
            let raw = Buffer.concat(chunks);
            const encoding = res.headers['content-encoding'];
            if (encoding === 'gzip') raw = gunzipSync(raw);
            else if (encoding === 'deflate') raw = inflateSync(raw);
            const answer = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
            const ok = typeof answer['hostname'] === 'string' && typeof answer['krb_realm'] === 'string' && typeof answer['ipaotp'] === 'string';
            done({ status, error: ok ? '' : 'no-otp', otp: ok ? (answer['ipaotp'] as string) : null });
          } catch {
            done({ status, error: 'bad-json', otp: null });
          }
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => done({ status: 0, error: error.name === 'AbortError' || error.name === 'TimeoutError' ? 'timeout' : (error.code ?? 'network'), otp: null }));
    req.end(body);
  });
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const base = new URL(spec.url);
  // One pool, as nova-api's metadata workers keep one requests session each.
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency * (spec.parallelRepeats ? spec.repeats : 1), scheduling: 'fifo' });
  const records: RequestRecord[] = [];
  let otpMismatches = 0;
  let next = 0;
  const one = async (index: number, r: number): Promise<string | null> => {
    const instance = spec.instances[index]!;
    const t0 = epochNow();
    const answer = await post(agent, base, spec.token, instance, spec.timeoutMs);
    records.push([index, r, t0, epochNow() - t0, answer.status, answer.error]);
    return answer.otp;
  };
  const instanceRun = async (index: number) => {
    const rounds = Array.from({ length: spec.repeats }, (_, r) => r);
    const otps = spec.parallelRepeats ? await Promise.all(rounds.map((r) => one(index, r))) : [];
    if (!spec.parallelRepeats) for (const r of rounds) otps.push(await one(index, r));
    const seen = new Set(otps.filter((o): o is string => o !== null));
    if (seen.size > 1) otpMismatches += 1;
  };
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= spec.instances.length) return;
      await instanceRun(index);
    }
  };
  const started = performance.now();
  if (spec.arrivalsPerSecond) {
    const random = seeded(spec.instances.length);
    let at = 0;
    const booted = spec.instances.map((_, index) => {
      at += -Math.log(1 - random()) / spec.arrivalsPerSecond!;
      const due = at * 1000;
      return new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, due - (performance.now() - started)))).then(() => instanceRun(index));
    });
    await Promise.all(booted);
    agent.destroy();
    return { type: 'result', records, wallMs: performance.now() - started, otpMismatches };
  }
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.instances.length) }, worker));
  const wallMs = performance.now() - started;
  agent.destroy();
  return { type: 'result', records, wallMs, otpMismatches };
}

/** mulberry32: the same arrival times for the same number of instances, run after run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Forked: one spec in, one result out, then exit when the parent disconnects.
if (process.send) {
  process.on('message', (message: LoadSpec) => {
    if (message?.type !== 'run') return;
    runLoad(message).then(
      (result) => process.send!(result),
      (error: unknown) => process.send!({ type: 'error', message: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}

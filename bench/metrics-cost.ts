/**
 * What the metrics cost a join: the calls one join makes (outcome counter,
 * duration histogram, OTP counter), timed over many joins, with Node's
 * process collectors on as in production. Run: npx tsx bench/metrics-cost.ts
 */
import { createServerMetrics } from '../src/http/http-metrics.js';

const JOINS = 200_000;
const metrics = createServerMetrics({ processMetrics: true });
const outcomes = ['created', 'waiting', 'waiting', 'waiting', 'waiting'];

function run(n: number): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    metrics.requests.inc({ outcome: outcomes[i % outcomes.length]! });
    metrics.duration.observe((i % 500) / 1000);
    if (i % 5 === 0) metrics.otps.inc();
  }
  return Number(process.hrtime.bigint() - started) / n;
}

run(20_000); // warm-up: optimised code, as in a running service
const perJoinNs = run(JOINS);
const scrapeStarted = process.hrtime.bigint();
const text = await metrics.registry.render();
const scrapeMs = Number(process.hrtime.bigint() - scrapeStarted) / 1e6;
console.log(`metrics per join: ${(perJoinNs / 1000).toFixed(2)} us (budget 100 us); one scrape: ${scrapeMs.toFixed(2)} ms, ${text.length} bytes`);

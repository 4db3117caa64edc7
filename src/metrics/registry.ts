/**
 * The services' metrics, on prom-client (the Node ecosystem's Prometheus
 * client) behind a small facade: each service keeps one registry of its own
 * (tests start several in one process), declares its label names up front,
 * and gets Node's process metrics (CPU, RSS, open file descriptors, event
 * loop lag, GC) from prom-client's default collectors.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';


export interface RegistryOptions {
  /** Node's process metrics (`process_*`, `nodejs_*`). Off for throwaway registries in tests. */
  readonly processMetrics?: boolean;
}

export class Registry {
  readonly #registry = new PromRegistry();

  constructor(options: RegistryOptions = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.#registry });
  }

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): CounterMetric<L> {
    return new CounterMetric(new Counter({ name, help, labelNames, registers: [this.#registry] }));
  }

  /** A counter whose value is read from a count kept elsewhere, at scrape time. */
  counterOf(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.#registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): GaugeMetric<L> {
    return new GaugeMetric(new Gauge({ name, help, labelNames, registers: [this.#registry] }));
  }

  /** A gauge read at scrape time, for values that live elsewhere (queue depth, state). */
  gaugeOf(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.#registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** Counters of one label read at scrape time ({label value: count}), for counts kept elsewhere. */
  countersOf(name: string, help: string, label: string, read: () => Readonly<Record<string, number>>): void {
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [this.#registry],
      collect() {
        this.reset();
        for (const [value, count] of Object.entries(read())) this.inc({ [label]: value }, count);
      },
    });
  }

  /** Gauges read at scrape time whose label sets change (the FreeIPA servers DNS names): series no longer read are dropped. */
  gaugesOf<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => ReadonlyArray<{ labels: Record<L, string>; value: number }>): void {
    new Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers: [this.#registry],
      collect() {
        this.reset();
        for (const { labels, value } of read()) this.set(labels, value);
      },
    });
  }

  histogram<L extends string = never>(name: string, help: string, buckets: readonly number[], labelNames: readonly L[] = []): HistogramMetric<L> {
    return new HistogramMetric(new Histogram({ name, help, buckets: [...buckets], labelNames, registers: [this.#registry] }));
  }

  /** The exposition text; prom-client renders asynchronously (collectors may be async). */
  render(): Promise<string> {
    return this.#registry.metrics();
  }

  readonly contentType = PROMETHEUS_CONTENT_TYPE;
}

export class CounterMetric<L extends string> {
  constructor(readonly metric: Counter<L>) {}
  inc(labels?: Partial<Record<L, string>>, by = 1): void {
    if (labels) this.metric.inc(labels, by);
    else this.metric.inc(by);
  }
  /** The current value, for tests and health output. */
  async get(labels: Partial<Record<L, string>> = {}): Promise<number> {
    const wanted = Object.entries(labels);
    const { values } = await this.metric.get();
    return values
      .filter((v) => wanted.every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
      .reduce((sum, v) => sum + v.value, 0);
  }
}

export class GaugeMetric<L extends string> {
  constructor(readonly metric: Gauge<L>) {}
  set(value: number, labels?: Partial<Record<L, string>>): void {
    if (labels) this.metric.set(labels, value);
    else this.metric.set(value);
  }
}

export class HistogramMetric<L extends string> {
  constructor(readonly metric: Histogram<L>) {}
  observe(value: number, labels?: Partial<Record<L, string>>): void {
    if (labels) this.metric.observe(labels, value);
    else this.metric.observe(value);
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

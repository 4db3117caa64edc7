import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { NotificationConsumer } from './consumer.js';

/**
 * The listener's state in a file (`[notifications] health_file`), for
 * monitoring that reads files rather than HTTP. Rewritten on every state
 * change at once, and after messages at most once per `throttleMs`. Each
 * write goes to a temporary file renamed over the old one, so a reader never
 * sees half a file. An empty path turns it off.
 */
export class HealthFile {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private warned = false;
  private readonly onState = () => this.schedule(0);
  private readonly onMessage = () => this.schedule(this.throttleMs);

  constructor(
    private readonly path: string,
    private readonly consumer: NotificationConsumer,
    private readonly logger: Logger,
    private readonly throttleMs = 1000,
  ) {
    if (!path) return;
    consumer.on('state', this.onState);
    consumer.on('message', this.onMessage);
  }

  /** Writes now and waits; used for the final "stopped". */
  async flush(): Promise<void> {
    if (!this.path) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.enqueue();
    await this.writing;
  }

  stop(): void {
    this.consumer.off('state', this.onState);
    this.consumer.off('message', this.onMessage);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (delayMs === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.enqueue();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.enqueue();
    }, delayMs);
    this.timer.unref();
  }

  /** Writes are chained so that two renames never race. */
  private enqueue(): void {
    const status = this.consumer.status();
    const text = `${JSON.stringify({ ...status, pid: process.pid, writtenAt: Date.now() })}\n`;
    this.writing = this.writing.then(() => this.write(text));
  }

  private async write(text: string): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(tmp, text, { mode: 0o644 });
      await rename(tmp, this.path);
      this.warned = false;
    } catch (err) {
      // Once per failure streak: a read-only /run would otherwise log on every message.
      if (!this.warned) this.logger.warn('cannot write the health file', { path: this.path, error: (err as Error).message });
      this.warned = true;
    }
  }
}

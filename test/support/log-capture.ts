/**
 * The service's own logger writing JSON lines into memory, so a test can
 * search everything the service logged (for secrets that must not be there,
 * or for the detail a client was not given).
 */
import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger.js';

export interface LogCapture {
  readonly logger: Logger;
  /** Every line written so far. */
  text(): Promise<string>;
  lines(): Promise<string[]>;
}

export function captureLog(options: { debug?: boolean } = {}): LogCapture {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const logger = createLogger({ stream, format: 'json', debug: options.debug ?? true });
  // winston writes asynchronously: let its queue reach the stream first.
  const settle = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  return {
    logger,
    async text() {
      await settle();
      return chunks.join('');
    },
    async lines() {
      await settle();
      return chunks.join('').split('\n').filter(Boolean);
    },
  };
}

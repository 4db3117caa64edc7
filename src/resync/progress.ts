/**
 * A one-line progress bar on stderr for long runs, drawn only when stderr is
 * a terminal: in a pipe, a log or a systemd unit it stays silent, so stdout
 * (the table or JSON) and logs are never interleaved with escape codes.
 */
export interface Progress {
  update(label: string, done: number, total?: number): void;
  /** Clears the line. */
  done(): void;
}

export const noProgress: Progress = { update() {}, done() {} };

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, intervalMs = 100): Progress {
  if (!stream.isTTY) return noProgress;
  let last = 0;
  let drawn = false;
  return {
    update(label, done, total) {
      const now = Date.now();
      if (now - last < intervalMs && !(total !== undefined && done >= total)) return;
      last = now;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 30));
      let line = `${label} ${done}`;
      if (total !== undefined && total > 0) {
        const filled = Math.round((Math.min(done, total) / total) * width);
        line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
      }
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

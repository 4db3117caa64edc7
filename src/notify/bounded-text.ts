/**
 * Text a notification supplies (event types, ids, payload names) ends up in
 * keys we keep and in log lines, and anyone who can publish to the exchange
 * chooses it. It is cut to a length no real value reaches, and copied when
 * cut: a slice of a 1 MiB string would keep the whole of it alive.
 */
import { createHash } from 'node:crypto';

export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${Buffer.from(text.slice(0, max), 'utf8').toString('utf8')}...(${text.length} chars)`;
}

/** An id that stays usable as a key (the same id gives the same key) at a bounded size. */
export function boundedId(id: string, max = 128): string {
  return id.length <= max ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

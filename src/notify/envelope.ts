import { boundedId, clip } from './bounded-text.js';
import { PoisonMessage } from './errors.js';

/**
 * The oslo.messaging layer of a notification (nova-wire.md 3.5): the AMQP body
 * is either the `messagingv2` envelope `{"oslo.version": "2.0",
 * "oslo.message": "<JSON string>"}` (parsed twice), or, with driver
 * `messaging`, the inner dict itself. The `_context_*` keys are dropped: the
 * listener acts on the payload, never on the request context.
 */
export interface OsloMessage {
  readonly messageId: string;
  readonly uniqueId: string | null;
  readonly eventType: string;
  readonly publisherId: string;
  readonly priority: string;
  readonly timestamp: string;
  /** The event-specific payload, not yet checked. */
  readonly payload: unknown;
}

/** Envelope versions this parser reads (oslo `_MESSAGE_VERSION`). */
const ENVELOPE_MAJOR = '2';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PoisonMessage(`${what} is not JSON (${(err as Error).message})`);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes the AMQP body into an OsloMessage, or throws PoisonMessage. */
export function parseOsloMessage(body: Uint8Array | string): OsloMessage {
  let text: string;
  try {
    text = typeof body === 'string' ? body : decoder.decode(body);
  } catch {
    throw new PoisonMessage('body is not UTF-8');
  }
  const outer = parseJson(text, 'body');
  if (!isRecord(outer)) throw new PoisonMessage('body is not a JSON object');

  let inner: unknown = outer;
  if ('oslo.version' in outer || 'oslo.message' in outer) {
    const version = outer['oslo.version'];
    if (typeof version !== 'string' || version.split('.')[0] !== ENVELOPE_MAJOR) {
      throw new PoisonMessage(`unsupported oslo.version ${clip(JSON.stringify(version ?? null), 40)}`);
    }
    const message = outer['oslo.message'];
    if (typeof message !== 'string') throw new PoisonMessage('oslo.message is not a string');
    inner = parseJson(message, 'oslo.message');
    if (!isRecord(inner)) throw new PoisonMessage('oslo.message is not a JSON object');
  }
  return fromInner(inner as Record<string, unknown>);
}

/** Longest envelope text kept; Nova's longest event type is under 60 characters. */
const MAX_TEXT = 255;

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? clip(value, MAX_TEXT) : null;
}

function fromInner(inner: Record<string, unknown>): OsloMessage {
  const eventType = inner['event_type'];
  if (typeof eventType !== 'string' || eventType === '') throw new PoisonMessage('event_type is missing');
  if (!('payload' in inner)) throw new PoisonMessage('payload is missing');
  const uniqueId = inner['_unique_id'];
  return {
    messageId: optionalString(inner['message_id']) ?? '',
    uniqueId: typeof uniqueId === 'string' && uniqueId !== '' ? boundedId(uniqueId) : null,
    eventType: clip(eventType, MAX_TEXT),
    publisherId: optionalString(inner['publisher_id']) ?? '',
    priority: optionalString(inner['priority']) ?? '',
    timestamp: optionalString(inner['timestamp']) ?? '',
    payload: inner['payload'],
  };
}

/**
 * oslo's `str(utcnow())`: "2026-11-22 14:38:50.119257", UTC without a zone.
 * ISO 8601 with `T` or `Z` is accepted too. Milliseconds since the epoch, or
 * null when the text is not a time.
 */
export function parseOsloTimestamp(text: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return null;
  const fraction = m[3] ? m[3].slice(0, 4) : '';
  const ms = Date.parse(`${m[1]}T${m[2]}${fraction}${m[4] ?? 'Z'}`);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The JSON-RPC envelope of FreeIPA (freeipa-api.md section 2): requests
 * `{method: 'name/1', params: [args, options], id: 0}` with the API version
 * pinned, responses `{result, error, ...}` with errors mapped to classes.
 *
 * FreeIPA wraps some values since API 2.84/2.88 (ipalib/ipajson.py):
 * `{__dns_name__: 'www'}`, `{__datetime__: 'YYYYmmddHHMMSSZ'}`,
 * `{__base64__: '...'}`. They are decoded here, to a string, a Date and a
 * Buffer, so callers never see the wrappers.
 */
import type { IpaCommand } from './commands.js';
import { fromBatchItem, fromRpcError, FreeIpaError } from './errors.js';

/** One result of `client.batch()`: an item error is a value, not a thrown batch error. */
export type BatchItem<T = Record<string, unknown>> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: FreeIpaError };

/** FreeIPA accepts both `host_add` and `host_add/1` from 4.4.0 on; ipalib sends the versioned name. */
export function wireMethod(method: string): string {
  return method.includes('/') ? method : `${method}/1`;
}

export function encodeCall(command: IpaCommand<unknown>, apiVersion: string): string {
  return JSON.stringify({
    method: wireMethod(command.method),
    params: [command.args, { ...command.options, version: apiVersion }],
    id: 0,
  });
}

/** A batch of commands as one `batch` call; each item takes its version from the batch. */
export function batchCommand(commands: readonly IpaCommand<unknown>[]): IpaCommand<{ count: number; results: unknown[] }> {
  return {
    method: 'batch',
    args: commands.map((cmd) => ({ method: wireMethod(cmd.method), params: [cmd.args, cmd.options] })),
    options: {},
  };
}

/** Parses a session/json reply body; a JSON `error` is thrown as its FreeIPA error class. */
export function decodeReply(body: string, what: string): unknown {
  let reply: unknown;
  try {
    reply = JSON.parse(body);
  } catch {
    throw protocolError(`${what}: FreeIPA answered with something that is not JSON (${body.length} bytes)`);
  }
  if (!isObject(reply)) throw protocolError(`${what}: FreeIPA answered with a JSON ${typeof reply}, not an object`);
  const error = reply['error'];
  if (isObject(error) && typeof error['code'] === 'number') {
    throw fromRpcError({
      code: error['code'],
      message: typeof error['message'] === 'string' ? error['message'] : undefined,
      data: isObject(error['data']) ? decodeValue(error['data']) as Record<string, unknown> : {},
    } as { code: number; message?: string; data?: Record<string, unknown> });
  }
  if (!('result' in reply)) throw protocolError(`${what}: FreeIPA's reply has neither result nor error`);
  return decodeValue(reply['result']);
}

/** Splits the `batch` output into per-item results, in request order. */
export function decodeBatch(output: unknown, expected: number): BatchItem[] {
  const results = isObject(output) ? output['results'] : undefined;
  if (!Array.isArray(results) || results.length !== expected) {
    throw protocolError(`batch: expected ${expected} results, FreeIPA returned ${Array.isArray(results) ? results.length : 'none'}`);
  }
  return results.map((item): BatchItem => {
    if (!isObject(item)) return { ok: false, error: protocolError('batch: an item result is not an object') };
    if (typeof item['error_code'] === 'number' || (item['error'] !== null && item['error'] !== undefined)) {
      return {
        ok: false,
        error: fromBatchItem({
          error: typeof item['error'] === 'string' ? item['error'] : 'FreeIPA batch item failed',
          error_code: typeof item['error_code'] === 'number' ? item['error_code'] : 903,
          error_kw: isObject(item['error_kw']) ? item['error_kw'] : {},
        }),
      };
    }
    const { error: _error, ...result } = item;
    return { ok: true, result };
  });
}

/** Removes FreeIPA's type wrappers, recursively. */
export function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const inner = value[keys[0] as string];
    if (typeof inner === 'string') {
      if (keys[0] === '__dns_name__') return inner;
      if (keys[0] === '__base64__') return Buffer.from(inner, 'base64');
      if (keys[0] === '__datetime__') return parseIpaDate(inner) ?? inner;
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = decodeValue(value[key]);
  return out;
}

function parseIpaDate(text: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return null;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** The reply was not FreeIPA's JSON-RPC (a proxy page, a wrong URL): NetworkError 907, as ipalib reports it. */
export function protocolError(message: string, data: Record<string, unknown> = {}): FreeIpaError {
  return new FreeIpaError(message, data, 907);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

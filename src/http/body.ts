/**
 * Reading a JSON request body with a size limit. Small and strict on purpose:
 * the only body we accept is Nova's JSON object.
 */
import type { Context } from 'koa';
import { InvalidRequest, PayloadTooLarge } from '../errors.js';
import { firstDuplicateKey } from './duplicate-keys.js';

export async function readJsonObject(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  const type = ctx.request.type;
  if (type && type !== 'application/json') throw new InvalidRequest(`Content-Type must be application/json, not ${type}`, 'Content-Type');
  const declared = Number(ctx.request.length ?? 0);
  if (declared > limit) throw new PayloadTooLarge(`request body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLarge(`request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new InvalidRequest('request body is empty; expected a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidRequest(`request body is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidRequest('request body must be a JSON object');
  const duplicate = firstDuplicateKey(text);
  if (duplicate) {
    const field = duplicate.path ? `${duplicate.path}.${duplicate.key}` : duplicate.key;
    throw new InvalidRequest(`request body has the key "${field.slice(0, 80)}" twice; send it once`, field.slice(0, 80));
  }
  return value as Record<string, unknown>;
}

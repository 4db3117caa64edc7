/**
 * batch (ipaserver/plugins/batch.py, 4.9): runs each item as its own
 * command, with the batch's `version` unless the item has one; a failing
 * item becomes {error, error_code, error_name, error_kw} in `results` and
 * never fails the batch. Item validation errors are FreeIPA's: missing
 * method/params (RequirementError), unknown command (CommandError), params
 * not [list, dict] or not mappable (ConversionError 'params').
 */
import { CommandError, ConversionError, FreeIpaError, InternalError, RequirementError } from '../../freeipa/errors.js';
import type { CommandContext, CommandDef } from '../command.js';
import { mapParams, type Params } from '../params.js';

export interface CommandLookup {
  lookup(name: string): CommandDef | undefined;
}

function itemError(err: unknown) {
  const e = err instanceof FreeIpaError ? err : new InternalError('an internal error has occurred');
  return { error: e.message, error_code: e.code, error_name: e.rpcName, error_kw: e.data };
}

function requirement(name: string) {
  return new RequirementError(`'${name}' is required`, { name });
}

export function batchCommand(registry: CommandLookup): CommandDef {
  return {
    name: 'batch',
    write: false,
    args: [{ name: 'methods', kind: 'dict', multi: true }],
    options: [],
    async run(ctx: CommandContext, params: Params) {
      const results: unknown[] = [];
      for (const item of (params.methods as Array<Record<string, unknown>> | null) ?? []) {
        try {
          if (!('method' in item)) throw requirement('method');
          if (!('params' in item)) throw requirement('params');
          const name = String(item.method);
          const def = registry.lookup(name);
          if (!def) throw new CommandError(`unknown command '${name}'`, { name });
          const raw = item.params;
          if (!Array.isArray(raw) || raw.length !== 2 || !Array.isArray(raw[0]) || !raw[1] || typeof raw[1] !== 'object' || Array.isArray(raw[1])) {
            throw new ConversionError("invalid 'params': must contain a tuple (list, dict)", { name: 'params', error: 'must contain a tuple (list, dict)' });
          }
          const args = raw[0] as unknown[];
          const options = { ...(raw[1] as Record<string, unknown>) };
          try {
            mapParams(def, args, options);
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            throw new ConversionError(`invalid 'params': ${error}`, { name: 'params', error });
          }
          if (!('version' in options)) options.version = ctx.version;
          const result = await ctx.call(name, args, options);
          results.push({ ...result, error: null });
        } catch (err) {
          results.push(itemError(err));
        }
      }
      return { count: results.length, results };
    },
  };
}

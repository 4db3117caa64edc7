import type { OptionSpec } from './defaults.js';

// oslo.config's spellings (oslo_config.types.Boolean), so a novajoin 1.1 file means the same here.
const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0'];

export type OptionValue = string | number | boolean | readonly string[];

/** Turns one raw string into the option's type, or says what is accepted. */
export function parseValue(spec: OptionSpec, raw: string): { value: OptionValue } | { error: string } {
  const text = raw.trim();
  switch (spec.type) {
    case 'string':
    case 'secret':
      // The INI reader already trimmed unquoted values; a quoted one keeps its blanks.
      return { value: raw };
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE.includes(lower)) return { value: true };
      if (FALSE.includes(lower)) return { value: false };
      return { error: `"${text}" is not a boolean; accepted (any case): ${TRUE.join(', ')} for true; ${FALSE.join(', ')} for false` };
    }
    case 'int':
    case 'port': {
      if (!/^[-+]?\d+$/.test(text)) return { error: `"${text}" is not a whole number` };
      const n = Number(text);
      const min = spec.type === 'port' ? 1 : spec.min;
      const max = spec.type === 'port' ? 65535 : spec.max;
      return inRange(n, min, max);
    }
    case 'float': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) return { error: `"${text}" is not a number` };
      return inRange(n, spec.min, spec.max);
    }
    case 'enum': {
      const choices = spec.choices ?? [];
      if (choices.includes(text)) return { value: text };
      return { error: `"${text}" is not one of: ${choices.join(', ')}` };
    }
    case 'list':
      return { value: text.split(/[,\n]/).map((s) => s.trim()).filter((s) => s.length > 0) };
  }
}

function inRange(n: number, min?: number, max?: number): { value: number } | { error: string } {
  if (min !== undefined && n < min) return { error: `${n} is below the minimum ${min}` };
  if (max !== undefined && n > max) return { error: `${n} is above the maximum ${max}` };
  return { value: n };
}

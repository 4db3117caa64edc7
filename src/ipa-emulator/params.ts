/**
 * Arguments and options of a command, checked and converted the way
 * ipalib/frontend.py and ipalib/parameters.py do it: the multivalue last
 * argument in both forms, options named by their param names, unknown
 * options refused (3005), too many arguments refused (3003/3004), values
 * converted per type with FreeIPA's error texts, required ones demanded (3007).
 */
import {
  ConversionError,
  FreeIpaError,
  MaxArgumentError,
  OptionError,
  RequirementError,
  ValidationError,
  ZeroArgumentError,
} from '../freeipa/errors.js';
import { parseCertificate } from './ca/certificate.js';
import { NamedIpaError } from './wire.js';

export type ParamKind = 'str' | 'flag' | 'bool' | 'int' | 'dict' | 'cert' | 'any';

export interface ParamSpec {
  readonly name: string;
  readonly kind: ParamKind;
  /** Trailing `*` or `+` in API.txt. */
  readonly multi?: boolean;
  /** Arguments only: `+` / no suffix (required) versus `?` / `*`. */
  readonly required?: boolean;
  /** The CLI name FreeIPA puts in error messages (`hostname` for `fqdn`). */
  readonly cli?: string;
  /** Value when the option is not given (e.g. no_members defaults to true in *_find). */
  readonly default?: unknown;
  /** Values outside this set are refused (StrEnum). */
  readonly values?: readonly string[];
}

/** Converted parameters; a key present with `null` was given but empty (FreeIPA's NULLS: '', [], null). */
export type Params = Record<string, unknown>;

/** Shorthands for spec tables. */
export const p = {
  str: (name: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({ name, kind: 'str', ...extra }),
  strs: (name: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({ name, kind: 'str', multi: true, ...extra }),
  flag: (name: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({ name, kind: 'flag', ...extra }),
  bool: (name: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({ name, kind: 'bool', ...extra }),
  int: (name: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({ name, kind: 'int', ...extra }),
  /** Certificate params (multi): base64 DER, PEM or bytes in; base64 DER out, as the directory stores it. */
  certs: (name: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({ name, kind: 'cert', multi: true, ...extra }),
};

const isNull = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

function conversion(spec: ParamSpec, error: string): FreeIpaError {
  const name = spec.cli ?? spec.name;
  return new ConversionError(`invalid '${name}': ${error}`, { name, error });
}

export function validationError(name: string, error: string): FreeIpaError {
  return new ValidationError(`invalid '${name}': ${error}`, { name, error });
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function convertScalar(spec: ParamSpec, value: unknown): unknown {
  switch (spec.kind) {
    case 'str': {
      if (typeof value === 'number' || typeof value === 'bigint') return String(value);
      if (typeof value !== 'string') throw conversion(spec, 'must be Unicode text');
      // Str params default to noextrawhitespace=True.
      if (value !== value.trim()) throw validationError(spec.cli ?? spec.name, 'Leading and trailing whitespace is not allowed');
      if (spec.values && !spec.values.includes(value)) {
        throw validationError(spec.cli ?? spec.name, `must be one of ${spec.values.map((v) => `'${v}'`).join(', ')}`);
      }
      return value;
    }
    case 'flag':
    case 'bool': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
      if (typeof value === 'string' && TRUE.has(value.toLowerCase())) return true;
      if (typeof value === 'string' && FALSE.has(value.toLowerCase())) return false;
      throw conversion(spec, 'must be True or False');
    }
    case 'int': {
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
      throw conversion(spec, 'must be an integer');
    }
    case 'dict': {
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
      throw conversion(spec, 'must be dictionary');
    }
    case 'cert': {
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw conversion(spec, 'must be a certificate');
      const cert = parseCertificate(value);
      if (!cert) throw conversion(spec, 'not a valid certificate');
      return cert.der.toString('base64');
    }
    case 'any':
      return value;
  }
}

export function convertValue(spec: ParamSpec, value: unknown): unknown {
  if (isNull(value) && spec.kind !== 'flag' && spec.kind !== 'bool' && spec.kind !== 'dict') return null;
  if (value === null || value === undefined) return null;
  if (spec.multi) {
    const list = Array.isArray(value) ? value : [value];
    const out = list.filter((v) => !isNull(v)).map((v) => convertScalar(spec, v));
    return out.length ? out : null;
  }
  if (Array.isArray(value)) {
    if (spec.kind === 'str' || spec.kind === 'int') throw conversion(spec, 'Only one value is allowed');
    throw conversion(spec, spec.kind === 'dict' ? 'must be dictionary' : 'must be True or False');
  }
  return convertScalar(spec, value);
}

export interface CommandShape {
  readonly name: string;
  readonly args: readonly ParamSpec[];
  readonly options: readonly ParamSpec[];
}

/** Options every command accepts besides its own (frontend internal options). */
const INTERNAL_OPTIONS = new Set(['version']);

/**
 * frontend.Command.args_options_2_params: maps positional args and options to
 * params, refusing what the command does not take. No conversion yet.
 */
export function mapParams(cmd: CommandShape, args: readonly unknown[], options: Record<string, unknown>): Record<string, unknown> {
  const last = cmd.args[cmd.args.length - 1];
  const maxArgs = last?.multi ? null : cmd.args.length;
  if (maxArgs !== null && args.length > maxArgs) {
    if (maxArgs === 0) throw new ZeroArgumentError(`command '${cmd.name}' takes no arguments`, { name: cmd.name });
    const noun = maxArgs === 1 ? 'argument' : 'arguments';
    throw new MaxArgumentError(`command '${cmd.name}' takes at most ${maxArgs} ${noun}`, { name: cmd.name, count: maxArgs });
  }
  const known = new Map<string, ParamSpec>();
  for (const spec of [...cmd.args, ...cmd.options]) known.set(spec.name, spec);
  const params: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (INTERNAL_OPTIONS.has(name)) continue;
    if (!known.has(name)) throw new OptionError(`Unknown option: ${name}`, { option: name });
    params[name] = value;
  }
  const fromArgs: Record<string, unknown> = {};
  cmd.args.forEach((spec, i) => {
    if (args.length <= i) return;
    if (spec.multi) {
      fromArgs[spec.name] = args.length === i + 1 && Array.isArray(args[i]) ? args[i] : args.slice(i);
    } else {
      fromArgs[spec.name] = args[i];
    }
  });
  const overlap = Object.keys(fromArgs).filter((k) => k in params).sort();
  if (overlap.length) {
    throw new NamedIpaError(3006, 'OverlapError', `overlapping arguments and options: ${overlap.join(', ')}`, { names: overlap });
  }
  return { ...params, ...fromArgs };
}

/** Converts mapped params, fills defaults and demands required arguments. */
export function convertParams(cmd: CommandShape, mapped: Record<string, unknown>): Params {
  const out: Params = {};
  for (const spec of [...cmd.args, ...cmd.options]) {
    if (spec.name in mapped) out[spec.name] = convertValue(spec, mapped[spec.name]);
    if ((out[spec.name] === undefined || out[spec.name] === null) && spec.default !== undefined && !(spec.name in mapped)) {
      out[spec.name] = spec.default;
    }
  }
  for (const spec of cmd.args) {
    const v = out[spec.name];
    if (spec.required && (v === undefined || v === null)) {
      const name = spec.cli ?? spec.name;
      throw new RequirementError(`'${name}' is required`, { name });
    }
  }
  return out;
}

// ---- Accessors for converted params.

export const get = {
  str: (params: Params, name: string): string | undefined => {
    const v = params[name];
    return typeof v === 'string' ? v : undefined;
  },
  strs: (params: Params, name: string): string[] | undefined => {
    const v = params[name];
    return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : undefined;
  },
  flag: (params: Params, name: string): boolean => params[name] === true,
  int: (params: Params, name: string): number | undefined => {
    const v = params[name];
    return typeof v === 'number' ? v : undefined;
  },
  /** The option was given, possibly empty (an empty value deletes the attribute in *_mod). */
  given: (params: Params, name: string): boolean => name in params && params[name] !== undefined,
};

// ---- Option groups shared by the LDAP object commands (baseldap.py).

export const outputOptions = (members: boolean): ParamSpec[] => [
  p.flag('all'),
  p.flag('raw'),
  ...(members ? [p.flag('no_members')] : []),
];
export const createOptions = (members: boolean): ParamSpec[] => [p.strs('setattr'), p.strs('addattr'), ...outputOptions(members)];
export const updateOptions = (members: boolean): ParamSpec[] => [
  p.strs('setattr'),
  p.strs('addattr'),
  p.strs('delattr'),
  p.flag('rights'),
  ...outputOptions(members),
];
export const retrieveOptions = (members: boolean): ParamSpec[] => [p.flag('rights'), ...outputOptions(members)];
export const searchOptions = (members: boolean, pkeyOnly = true): ParamSpec[] => [
  p.int('timelimit'),
  p.int('sizelimit'),
  ...(pkeyOnly ? [p.flag('pkey_only')] : []),
  p.flag('all'),
  p.flag('raw'),
  ...(members ? [p.flag('no_members', { default: true })] : []),
];

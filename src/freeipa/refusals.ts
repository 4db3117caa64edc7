/**
 * FreeIPA's error classes turned into the domain's refusals (src/domain/errors.ts):
 * the one place that knows which FreeIPA code means "gone", "taken" or
 * "already done", so the domain never imports FreeIPA's vocabulary.
 */
import {
  AccessDenied,
  AlreadyInactive,
  DirectoryRefusal,
  EntryConflict,
  EntryNotFound,
  InvalidValue,
  NothingToChange,
  ValueNotFound,
} from '../domain/errors.js';
import {
  ACIError,
  AlreadyInactiveError,
  AttrValueNotFoundError,
  ConversionError,
  DuplicateEntryError,
  EmptyModlistError,
  NotFoundError,
  ValidationError,
  type FreeIpaError,
} from './errors.js';

type RefusalClass = new (message: string, directoryName: string, field?: string | null, options?: { cause?: unknown }) => DirectoryRefusal;

const BY_CLASS: ReadonlyArray<readonly [abstract new (...args: never[]) => FreeIpaError, RefusalClass]> = [
  [NotFoundError, EntryNotFound],
  [DuplicateEntryError, EntryConflict],
  [AlreadyInactiveError, AlreadyInactive],
  [EmptyModlistError, NothingToChange],
  [AttrValueNotFoundError, ValueNotFound],
  [ValidationError, InvalidValue],
  [ConversionError, InvalidValue],
  [ACIError, AccessDenied],
];

export function toRefusal(error: FreeIpaError): DirectoryRefusal {
  const cls = BY_CLASS.find(([ipa]) => error instanceof ipa)?.[1] ?? DirectoryRefusal;
  const field = typeof error.data['name'] === 'string' ? error.data['name'] : null;
  return new cls(error.message, error.rpcName, field, { cause: error });
}

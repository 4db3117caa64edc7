/**
 * Why the directory refused one operation, in the domain's own words. The
 * flows decide what a refusal means (gone already counts as deleted, taken
 * means someone else won the race) from the class alone; the adapter that
 * talks to FreeIPA picks the class. `directoryName` and `message` keep what
 * the directory itself said, for operators reading a log or a dead letter.
 */
export class DirectoryRefusal extends Error {
  constructor(
    message: string,
    /** The directory's own name for the refusal (FreeIPA's error name), for messages only. */
    readonly directoryName: string,
    /** The input the directory found wrong, when it says. */
    readonly field: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The entry (host, service, record) does not exist, or is not visible to us. */
export class EntryNotFound extends DirectoryRefusal {}

/** An entry with that name already exists. */
export class EntryConflict extends DirectoryRefusal {}

/** The entry is already disabled: nothing left to disable. */
export class AlreadyInactive extends DirectoryRefusal {}

/** The change asked for is already in place. */
export class NothingToChange extends DirectoryRefusal {}

/** The value to remove is not there. */
export class ValueNotFound extends DirectoryRefusal {}

/** The directory refused a value (`field` says which), e.g. a password on an enrolled host. */
export class InvalidValue extends DirectoryRefusal {}

/** Our identity lacks the right to do this. */
export class AccessDenied extends DirectoryRefusal {}

/**
 * A write whose answer was lost (a FreeIPA server failed mid-call): it may
 * or may not have been applied, and it was not resent. Not a refusal: the
 * caller re-plans from a fresh read.
 */
export class WriteOutcomeUnknown extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteOutcomeUnknown';
  }
}

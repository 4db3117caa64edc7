/** A policy file or check string that cannot be used, always naming where. */
export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly rule: string | null,
    readonly detail: string,
  ) {
    super(`${file}: ${rule === null ? '' : `rule "${rule}": `}${detail}`);
    this.name = 'PolicyError';
  }
}

/** A configuration problem, always naming where it is: file, section, option. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly section: string,
    readonly option: string | null,
    readonly detail: string,
  ) {
    super(`${file}: [${section}]${option ? ` ${option}` : ''}: ${detail}`);
    this.name = 'ConfigError';
  }
}

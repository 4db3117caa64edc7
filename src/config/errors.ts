/**
 * Configuration problems, always naming where they are: file, line when the
 * option is in the file, section and option. Errors and warnings print in one
 * format, `<file>:<line>: <severity>: [<section>] <option>: <detail>`, the
 * form compilers use, so an editor or `grep` jumps to the line.
 */
export type Severity = 'error' | 'warning';

export interface ConfigProblem {
  readonly severity: Severity;
  readonly file: string;
  /** The line of the option (or of the broken text); null when the value is a default. */
  readonly line: number | null;
  readonly section: string;
  readonly option: string | null;
  readonly detail: string;
}

export type Report = (severity: ConfigProblem['severity'], section: string, option: string | null, detail: string, line?: number | null) => void;

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line === null ? problem.file : `${problem.file}:${problem.line}`;
  const what = problem.section === '-' ? '' : `[${problem.section}]${problem.option ? ` ${problem.option}` : ''}: `;
  return `${where}: ${problem.severity}: ${what}${problem.detail}`;
}

/**
 * Every error found in a configuration, thrown once all of it was read. The
 * first problem's fields are kept on the error itself for callers that name
 * one option.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  readonly file: string;
  readonly section: string;
  readonly option: string | null;
  readonly detail: string;

  constructor(problems: readonly ConfigProblem[]);
  constructor(file: string, section: string, option: string | null, detail: string, line?: number | null);
  constructor(first: string | readonly ConfigProblem[], section = '-', option: string | null = null, detail = '', line: number | null = null) {
    const problems: readonly ConfigProblem[] =
      typeof first === 'string' ? [{ severity: 'error', file: first, line, section, option, detail }] : first;
    if (problems.length === 0) throw new Error('a ConfigError needs at least one problem');
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
    const head = problems[0]!;
    this.file = head.file;
    this.section = head.section;
    this.option = head.option;
    this.detail = head.detail;
  }
}

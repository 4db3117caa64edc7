import { OPTIONS, PROJECT_OPTIONS, type OptionSpec } from './defaults.js';

/** Renders config/join.conf.sample from the defaults table. */
export function renderSample(): string {
  const out: string[] = [
    '# novajoin configuration: /etc/novajoin/join.conf',
    '# Generated from src/config/defaults.ts (`novajoin sample-config`); every option',
    '# is shown commented out with its default.',
    '',
  ];
  const sections = [...new Set(OPTIONS.map((s) => s.section))];
  for (const section of sections) {
    out.push(`[${section}]`, '');
    for (const spec of OPTIONS.filter((s) => s.section === section)) out.push(...describe(spec), '');
  }
  out.push(
    '# Per-project sections: one section per Keystone project name, e.g. [admin].',
    '# Any section name not used above is taken as a project name.',
    '#[<project name>]',
    '',
  );
  for (const spec of PROJECT_OPTIONS) out.push(...describe(spec), '');
  return out.join('\n');
}

function describe(spec: OptionSpec): string[] {
  const lines = wrap(spec.help).map((line) => `# ${line}`);
  const type = spec.choices ? `one of ${spec.choices.join(', ')}` : spec.type === 'secret' ? 'string (secret)' : spec.type;
  lines.push(`# (${type}${spec.ignored ? ', compatibility only' : ''})`);
  lines.push(`#${spec.name} = ${formatDefault(spec.default)}`);
  return lines;
}

export function formatDefault(value: OptionSpec['default']): string {
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** Splits a text into lines of at most `width` characters (longer words stay whole). */
export function wrap(text: string, width = 76): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

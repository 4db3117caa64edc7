/**
 * The join.conf `novajoin dev` runs on and writes for other tools: the
 * operator's own file (per-project sections, naming templates, DNS options)
 * with the options that point at the embedded FreeIPA set by dev. Written
 * to disk so that `novajoin check`, `novajoin resync` and `novajoin-notify`
 * read exactly what the dev server runs on.
 */
import { parseIni, type IniSections } from '../config/ini.js';

export type DevSettings = Readonly<Record<string, Readonly<Record<string, string>>>>;

export function devConfText(userText: string, settings: DevSettings, header: string): string {
  const sections: IniSections = parseIni(userText);
  for (const [section, options] of Object.entries(settings)) {
    const target = sections.get(section) ?? new Map();
    for (const [name, value] of Object.entries(options)) target.set(name, { value, line: 0 });
    sections.set(section, target);
  }
  const out = [header.replace(/^/gm, '# ').trimEnd(), ''];
  // DEFAULT first, as oslo.config files are written.
  const names = [...sections.keys()].sort((a, b) => Number(b === 'DEFAULT') - Number(a === 'DEFAULT'));
  for (const name of names) {
    out.push(`[${name}]`);
    for (const [key, { value }] of sections.get(name)!) out.push(`${key} = ${value.replace(/\n/g, '\n    ')}`);
    out.push('');
  }
  return out.join('\n');
}

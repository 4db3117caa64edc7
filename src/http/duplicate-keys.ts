/**
 * JSON.parse keeps the last of two equal keys ("last wins"), so
 * `{"hostname": "a", "hostname": "b"}` means whatever the last parser to read
 * it decides: a front proxy, a log line and novajoin could each see another
 * host. A duplicate key is refused instead. Runs on text JSON.parse accepted.
 */

/** The first key that appears twice in one object, with its JSON path, or null. */
export function firstDuplicateKey(text: string): { key: string; path: string } | null {
  type Frame = { readonly keys: Set<string> | null; expectKey: boolean; readonly path: string; lastKey: string };
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      const frame = stack[stack.length - 1];
      if (frame?.keys && frame.expectKey) {
        const key = JSON.parse(text.slice(i, end)) as string;
        if (frame.keys.has(key)) return { key, path: frame.path };
        frame.keys.add(key);
        frame.lastKey = key;
        frame.expectKey = false;
      }
      i = end;
      continue;
    }
    const top = stack[stack.length - 1];
    const childPath = top ? (top.keys ? `${top.path}${top.path ? '.' : ''}${top.lastKey}` : `${top.path}[]`) : '';
    if (c === '{') stack.push({ keys: new Set(), expectKey: true, path: childPath, lastKey: '' });
    else if (c === '[') stack.push({ keys: null, expectKey: false, path: childPath, lastKey: '' });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && top?.keys) top.expectKey = true;
    i++;
  }
  return null;
}

/** Index just past the string literal that starts at `start` (a quote). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

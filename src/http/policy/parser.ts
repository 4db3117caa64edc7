/**
 * Parses oslo.policy check strings: `kind:value` checks (`rule:`, `role:`,
 * any credential attribute), `@` (always), `!` (never), `and`, `or`, `not`
 * and parentheses; an empty string always passes. Precedence as in oslo's
 * shift-reduce parser: `not` binds tightest, then `and`, then `or`, so
 * `a or b and c` is `a or (b and c)`.
 *
 * Tokens are split on whitespace, and parentheses are peeled off the start
 * and end of each word, exactly as oslo_policy/_parser.py does, so a string
 * oslo accepts means the same here. Where oslo would log "Failed to
 * understand rule" and quietly deny, this parser throws with the column, so
 * that a typo in the policy file stops the service at start instead.
 */
import type { Check } from './checks.js';

export class CheckSyntaxError extends Error {
  constructor(
    readonly detail: string,
    /** 1-based column in the check string. */
    readonly column: number,
  ) {
    super(`${detail} at column ${column}`);
    this.name = 'CheckSyntaxError';
  }
}

type Token =
  | { readonly type: '(' | ')' | 'and' | 'or' | 'not'; readonly column: number; readonly text: string }
  | { readonly type: 'check'; readonly column: number; readonly text: string; readonly check: Check };

export function parseCheck(text: string): Check {
  const tokens = tokenize(text);
  if (tokens.length === 0) return { kind: 'always' };
  const parser = new Parser(tokens, text.length + 1);
  const check = parser.orExpr();
  parser.expectEnd();
  return check;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const word of text.matchAll(/\S+/g)) {
    const start = (word.index ?? 0) + 1;
    const raw = word[0];
    let body = raw.replace(/^\(+/, '');
    const leading = raw.length - body.length;
    for (let i = 0; i < leading; i++) tokens.push({ type: '(', column: start + i, text: '(' });
    if (!body) continue;
    const stripped = body.replace(/\)+$/, '');
    const trailing = body.length - stripped.length;
    body = stripped;
    const column = start + leading;
    if (body) {
      const lowered = body.toLowerCase();
      if (lowered === 'and' || lowered === 'or' || lowered === 'not') tokens.push({ type: lowered, column, text: body });
      else tokens.push({ type: 'check', column, text: body, check: parseSingle(body, column) });
    }
    for (let i = 0; i < trailing; i++) tokens.push({ type: ')', column: column + body.length + i, text: ')' });
  }
  return tokens;
}

function parseSingle(word: string, column: number): Check {
  if (word === '@') return { kind: 'always' };
  if (word === '!') return { kind: 'never' };
  if (/^(['"]).*\1$/.test(word)) throw new CheckSyntaxError(`quoted literal ${word} is not supported`, column);
  const colon = word.indexOf(':');
  if (colon < 0) throw new CheckSyntaxError(`"${word}" is not a check (expected kind:value, @ or !)`, column);
  const kind = word.slice(0, colon);
  const value = word.slice(colon + 1);
  if (!kind) throw new CheckSyntaxError(`"${word}" has no kind before ":"`, column);
  if (!value) throw new CheckSyntaxError(`"${word}" has no value after ":"`, column);
  if (kind === 'http' || kind === 'https') throw new CheckSyntaxError(`remote ${kind}: checks are not supported`, column);
  if (kind === 'rule') return { kind: 'rule', name: value };
  if (kind === 'role') return { kind: 'role', role: value };
  return { kind: 'generic', attribute: kind, value };
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly endColumn: number,
  ) {}

  orExpr(): Check {
    const checks = [this.andExpr()];
    while (this.peek()?.type === 'or') {
      this.index++;
      checks.push(this.andExpr());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'or', checks };
  }

  private andExpr(): Check {
    const checks = [this.notExpr()];
    while (this.peek()?.type === 'and') {
      this.index++;
      checks.push(this.notExpr());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'and', checks };
  }

  private notExpr(): Check {
    if (this.peek()?.type === 'not') {
      this.index++;
      return { kind: 'not', check: this.notExpr() };
    }
    return this.primary();
  }

  private primary(): Check {
    const token = this.peek();
    if (!token) {
      const previous = this.tokens[this.index - 1];
      throw new CheckSyntaxError(`expected a check after "${previous?.text ?? ''}" but the string ended`, this.endColumn);
    }
    if (token.type === 'check') {
      this.index++;
      return token.check;
    }
    if (token.type === '(') {
      this.index++;
      const inner = this.orExpr();
      const close = this.peek();
      if (close?.type !== ')') {
        throw new CheckSyntaxError(`missing ")" for the "(" at column ${token.column}`, close?.column ?? this.endColumn);
      }
      this.index++;
      return inner;
    }
    throw new CheckSyntaxError(`expected a check but found "${token.text}"`, token.column);
  }

  expectEnd(): void {
    const token = this.peek();
    if (token) throw new CheckSyntaxError(`unexpected "${token.text}"`, token.column);
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }
}

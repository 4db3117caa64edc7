/**
 * The checks of oslo.policy that novajoin's rules use, as a tree, and their
 * evaluation against the caller's credentials (oslo_policy/_checks.py).
 */

/** What a rule is checked against: oslo.context's to_dict() subset, plus is_admin. */
export interface Credentials {
  readonly [key: string]: string | boolean | readonly string[] | undefined;
}

export type Check =
  | { readonly kind: 'always' }
  | { readonly kind: 'never' }
  | { readonly kind: 'rule'; readonly name: string }
  | { readonly kind: 'role'; readonly role: string }
  | { readonly kind: 'generic'; readonly attribute: string; readonly value: string }
  | { readonly kind: 'not'; readonly check: Check }
  | { readonly kind: 'and'; readonly checks: readonly Check[] }
  | { readonly kind: 'or'; readonly checks: readonly Check[] };

/** How a `rule:` reference is resolved; undefined when no such rule exists. */
export type RuleResolver = (name: string) => Check | undefined;

export function evaluate(check: Check, creds: Credentials, resolve: RuleResolver): boolean {
  switch (check.kind) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'rule': {
      const target = resolve(check.name);
      return target ? evaluate(target, creds, resolve) : false;
    }
    case 'role': {
      // RoleCheck compares lower-cased names.
      const roles = creds.roles;
      const wanted = substitute(check.role, creds)?.toLowerCase();
      return wanted !== undefined && Array.isArray(roles) && roles.some((role) => role.toLowerCase() === wanted);
    }
    case 'generic': {
      const wanted = substitute(check.value, creds);
      return wanted !== undefined && genericMatch(lookup(creds, check.attribute), wanted);
    }
    case 'not':
      return !evaluate(check.check, creds, resolve);
    case 'and':
      return check.checks.every((inner) => evaluate(inner, creds, resolve));
    case 'or':
      return check.checks.some((inner) => evaluate(inner, creds, resolve));
  }
}

/**
 * `%(name)s` in a value is replaced from the target. novajoin passes the
 * request context as both target and credentials, so the target here is the
 * credentials. A missing key fails the check, as oslo's KeyError does.
 */
function substitute(value: string, target: Credentials): string | undefined {
  let missing = false;
  const result = value.replace(/%\(([^)]+)\)s/g, (_, key: string) => {
    const found = lookup(target, key);
    if (found === undefined || found === null) {
      missing = true;
      return '';
    }
    return pythonString(found);
  });
  return missing ? undefined : result;
}

/** GenericCheck walks a dotted path (`a.b`) through the credentials. */
function lookup(creds: Credentials, attribute: string): unknown {
  let value: unknown = creds;
  for (const segment of attribute.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** GenericCheck: exact, case-sensitive; a list matches when it contains the value; booleans as Python prints them. */
function genericMatch(actual: unknown, expected: string): boolean {
  if (Array.isArray(actual)) return actual.some((item) => pythonString(item) === expected);
  if (actual === undefined || actual === null) return false;
  return pythonString(actual) === expected;
}

function pythonString(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

/** The names a check refers to with `rule:`, for reference and loop checks at load time. */
export function references(check: Check): string[] {
  switch (check.kind) {
    case 'rule':
      return [check.name];
    case 'not':
      return references(check.check);
    case 'and':
    case 'or':
      return check.checks.flatMap(references);
    default:
      return [];
  }
}

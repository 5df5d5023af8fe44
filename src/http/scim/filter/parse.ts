import { ScimError } from '../errors.js';

/**
 * RFC 7644 §3.4.2.2 filter parser. scimmy's Filter is not used for queries because it rewrites
 * `not (a or b)` into `not a or not b` (a silent wrong answer) and accepts `userName eq` with no
 * value; this parser builds a faithful AST instead.
 */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;

/** An attribute path: optional schema URN, attribute, optional sub-attribute (all as written). */
export interface AttrPath {
  uri?: string;
  attr: string;
  sub?: string;
}

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; expr: FilterNode }
  | { kind: 'compare'; path: AttrPath; op: CompareOp; value: Literal }
  | { kind: 'present'; path: AttrPath }
  /** `emails[type eq "work"]`, optionally followed by `.value op literal` or `.value pr`. */
  | { kind: 'valuePath'; path: AttrPath; filter: FilterNode; then?: { sub: string; op: CompareOp | 'pr'; value?: Literal } };

const COMPARE_OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

type Token =
  | { t: 'word'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: '(' | ')' | '[' | ']'; at: number };

const invalid = (detail: string) => new ScimError(400, detail, 'invalidFilter');

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ t: c, at: i });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length) throw invalid(`unterminated string starting at position ${i + 1}`);
      try {
        tokens.push({ t: 'string', v: JSON.parse(input.slice(i, j + 1)) as string, at: i });
      } catch {
        throw invalid(`invalid string literal at position ${i + 1}`);
      }
      i = j + 1;
    } else {
      let j = i;
      while (j < input.length && !' \t\r\n()[]"'.includes(input[j]!)) j++;
      tokens.push({ t: 'word', v: input.slice(i, j), at: i });
      i = j;
    }
  }
  return tokens;
}

const ATTR = /^(?:(urn:[A-Za-z0-9:._-]+):)?([A-Za-z$][\w$-]*)(?:\.([A-Za-z$][\w$-]*))?$/;

export function parseAttrPath(text: string): AttrPath {
  // A URN-qualified path ends with ":attr" or ":attr.sub"; the URN itself contains dots and colons.
  const m = ATTR.exec(text);
  if (!m) throw invalid(`invalid attribute path '${text}'`);
  return { ...(m[1] ? { uri: m[1] } : {}), attr: m[2]!, ...(m[3] ? { sub: m[3] } : {}) };
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    if (this.tokens.length === 0) throw invalid('empty filter');
    const node = this.or();
    const extra = this.tokens[this.i];
    if (extra) throw invalid(`unexpected '${'v' in extra ? extra.v : extra.t}' at position ${extra.at + 1}`);
    return node;
  }

  private peekWord(): string | undefined {
    const t = this.tokens[this.i];
    return t?.t === 'word' ? t.v.toLowerCase() : undefined;
  }

  private expect(t: '(' | ')' | '[' | ']'): void {
    const tok = this.tokens[this.i];
    if (tok?.t !== t) throw invalid(`expected '${t}'${tok ? ` at position ${tok.at + 1}` : ' at end of filter'}`);
    this.i++;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.peekWord() === 'or') {
      this.i++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.peekWord() === 'and') {
      this.i++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterNode {
    const tok = this.tokens[this.i];
    if (!tok) throw invalid('filter ends where an expression was expected');
    if (tok.t === 'word' && tok.v.toLowerCase() === 'not') {
      this.i++;
      this.expect('(');
      const expr = this.or();
      this.expect(')');
      return { kind: 'not', expr };
    }
    if (tok.t === '(') {
      this.i++;
      const expr = this.or();
      this.expect(')');
      return expr;
    }
    if (tok.t !== 'word') throw invalid(`unexpected '${'v' in tok ? tok.v : tok.t}' at position ${tok.at + 1}`);
    this.i++;
    const path = parseAttrPath(tok.v);
    if (this.tokens[this.i]?.t === '[') {
      this.i++;
      const filter = this.or();
      this.expect(']');
      const next = this.tokens[this.i];
      if (next?.t === 'word' && next.v.startsWith('.')) {
        this.i++;
        const sub = next.v.slice(1);
        if (!/^[A-Za-z$][\w$-]*$/.test(sub)) throw invalid(`invalid sub-attribute '${sub}'`);
        const op = this.operator();
        return { kind: 'valuePath', path, filter, then: op === 'pr' ? { sub, op } : { sub, op, value: this.literal() } };
      }
      return { kind: 'valuePath', path, filter };
    }
    const op = this.operator();
    if (op === 'pr') return { kind: 'present', path };
    return { kind: 'compare', path, op, value: this.literal() };
  }

  private operator(): CompareOp | 'pr' {
    const tok = this.tokens[this.i];
    const op = tok?.t === 'word' ? tok.v.toLowerCase() : undefined;
    if (op === 'pr') {
      this.i++;
      return 'pr';
    }
    if (!op || !COMPARE_OPS.has(op)) throw invalid(tok ? `unknown operator '${'v' in tok ? tok.v : tok.t}' at position ${tok.at + 1}` : 'filter ends where an operator was expected');
    this.i++;
    return op as CompareOp;
  }

  private literal(): Literal {
    const tok = this.tokens[this.i];
    if (!tok) throw invalid('filter ends where a value was expected');
    this.i++;
    if (tok.t === 'string') return tok.v;
    if (tok.t === 'word') {
      const w = tok.v.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
      if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(tok.v)) return Number(tok.v);
    }
    throw invalid(`invalid value ${'v' in tok ? `'${tok.v}'` : `'${tok.t}'`} at position ${tok.at + 1}`);
  }
}

export function parseFilter(text: string): FilterNode {
  if (text.length > 4096) throw invalid('filter is longer than 4096 characters');
  return new Parser(tokenize(text)).parse();
}

/**
 * `expr` in a threshold or rate condition: arithmetic over one device's latest metric values.
 * Grammar (nothing else is accepted, so an expression can never reach JavaScript):
 *
 *   expr   := term (('+' | '-') term)*
 *   term   := unary (('*' | '/') unary)*
 *   unary  := '-' unary | atom
 *   atom   := number | metric | fn '(' expr (',' expr)* ')' | '(' expr ')'
 *   fn     := abs (one argument) | min | max (one or more)
 *
 * Parsing compiles to closures over an array of values indexed like `metrics` (in order of
 * first use). A result that is not a finite number (division by zero) throws: the engine then
 * disables the rule for the process with a `rule_disabled` notice, since it is a rule bug.
 */

export type ExprFn = (values: ArrayLike<number>) => number;

export type ParseResult =
  | { ok: true; fn: ExprFn; metrics: string[] }
  | { ok: false; error: string; position: number };

type Token = { kind: 'num'; value: number; pos: number } | { kind: 'id'; name: string; pos: number } | { kind: 'op'; op: string; pos: number } | { kind: 'end'; pos: number };

class ExprError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([a-z_][a-z0-9_]*)|([-+*/(),]))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) {
      const at = pos + (/^\s*/.exec(text.slice(pos))?.[0].length ?? 0);
      throw new ExprError(`unexpected character "${text[at] ?? ''}"`, at);
    }
    const start = re.lastIndex - m[0].trimStart().length;
    if (m[1] !== undefined) out.push({ kind: 'num', value: Number(m[1]), pos: start });
    else if (m[2] !== undefined) out.push({ kind: 'id', name: m[2], pos: start });
    else out.push({ kind: 'op', op: m[3] ?? '', pos: start });
    pos = re.lastIndex;
  }
  out.push({ kind: 'end', pos: text.length });
  return out;
}

const functions: Record<string, { min: number; max: number; make: (args: ExprFn[]) => ExprFn }> = {
  abs: { min: 1, max: 1, make: ([a]) => ((f: ExprFn) => (v) => Math.abs(f(v)))(a as ExprFn) },
  min: { min: 1, max: 16, make: (args) => fold(args, Math.min) },
  max: { min: 1, max: 16, make: (args) => fold(args, Math.max) },
};

function fold(args: ExprFn[], f: (a: number, b: number) => number): ExprFn {
  const [first, ...rest] = args as [ExprFn, ...ExprFn[]];
  if (rest.length === 0) return first;
  return (v) => {
    let acc = first(v);
    for (const r of rest) acc = f(acc, r(v));
    return acc;
  };
}

class Parser {
  private i = 0;
  readonly metrics: string[] = [];

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }

  private isOp(op: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.op === op;
  }

  private expect(op: string): void {
    if (!this.isOp(op)) throw new ExprError(`expected "${op}"`, this.peek().pos);
    this.i++;
  }

  parseAll(): ExprFn {
    const fn = this.expr();
    const t = this.peek();
    if (t.kind !== 'end') throw new ExprError('unexpected input after the expression', t.pos);
    return fn;
  }

  private expr(): ExprFn {
    let left = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const plus = this.isOp('+');
      this.i++;
      const a = left;
      const b = this.term();
      left = plus ? (v) => a(v) + b(v) : (v) => a(v) - b(v);
    }
    return left;
  }

  private term(): ExprFn {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/')) {
      const times = this.isOp('*');
      this.i++;
      const a = left;
      const b = this.unary();
      left = times ? (v) => a(v) * b(v) : (v) => a(v) / b(v);
    }
    return left;
  }

  private unary(): ExprFn {
    if (this.isOp('-')) {
      this.i++;
      const a = this.unary();
      return (v) => -a(v);
    }
    return this.atom();
  }

  private atom(): ExprFn {
    const t = this.peek();
    if (t.kind === 'num') {
      this.i++;
      const n = t.value;
      return () => n;
    }
    if (t.kind === 'id') {
      this.i++;
      if (this.isOp('(')) return this.call(t.name, t.pos);
      let idx = this.metrics.indexOf(t.name);
      if (idx < 0) idx = this.metrics.push(t.name) - 1;
      const k = idx;
      return (v) => v[k] as number;
    }
    if (this.isOp('(')) {
      this.i++;
      const inner = this.expr();
      this.expect(')');
      return inner;
    }
    throw new ExprError(t.kind === 'end' ? 'unexpected end of expression' : 'expected a number, a metric or "("', t.pos);
  }

  private call(name: string, pos: number): ExprFn {
    const f = functions[name];
    if (!f) throw new ExprError(`unknown function "${name}" (abs, min, max)`, pos);
    this.expect('(');
    const args = [this.expr()];
    while (this.isOp(',')) {
      this.i++;
      args.push(this.expr());
    }
    this.expect(')');
    if (args.length < f.min || args.length > f.max) throw new ExprError(`${name}() takes ${f.min === f.max ? f.min : `${f.min} to ${f.max}`} argument(s)`, pos);
    return f.make(args);
  }
}

/** Parses `text`; errors give a message and the 0-based character position. */
export function parseExpression(text: string): ParseResult {
  try {
    const parser = new Parser(tokenize(text));
    const raw = parser.parseAll();
    if (parser.metrics.length === 0) return { ok: false, error: 'the expression reads no metric', position: 0 };
    const fn: ExprFn = (v) => {
      const r = raw(v);
      if (!Number.isFinite(r)) throw new RangeError(`expression "${text}" gave ${r}`);
      return r;
    };
    return { ok: true, fn, metrics: parser.metrics };
  } catch (e) {
    if (e instanceof ExprError) return { ok: false, error: `${e.message} at position ${e.position + 1}`, position: e.position };
    throw e;
  }
}

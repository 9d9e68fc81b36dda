import t from 'tap';
import { splitSql } from './sql-split.js';

t.test('splits on semicolons outside strings, identifiers, dollar quotes and comments', async (t) => {
  const sql = `
-- a comment; with a semicolon
CREATE TABLE "a;b" (x text DEFAULT 'it''s; fine');
/* block; /* nested; */ still comment; */
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$;
SELECT E'esc\\'; still string', $$x;y$$, 'tail';
-- trailing comment only
`;
  const parts = splitSql(sql);
  t.equal(parts.length, 3);
  t.match(parts[0], /CREATE TABLE "a;b" \(x text DEFAULT 'it''s; fine'\)$/);
  t.match(parts[1], /\$fn\$ SELECT 1; \$fn\$$/);
  t.match(parts[2], /SELECT E'esc\\'; still string', \$\$x;y\$\$, 'tail'$/);
});

t.test('a last statement without a semicolon is kept; empty pieces are dropped', async (t) => {
  t.same(splitSql('SELECT 1;;  ; SELECT 2'), ['SELECT 1', 'SELECT 2']);
  t.same(splitSql('  -- nothing\n'), []);
});

t.test('$1 parameters and identifiers with $ are not dollar quotes', async (t) => {
  t.same(splitSql('SELECT $1; SELECT a$b$ FROM t'), ['SELECT $1', 'SELECT a$b$ FROM t']);
});

t.test('unterminated quotes are reported, not silently merged', async (t) => {
  t.throws(() => splitSql("SELECT 'open"), /unterminated string/);
  t.throws(() => splitSql('SELECT $x$ body'), /unterminated dollar-quoted/);
  t.throws(() => splitSql('/* open'), /unterminated block comment/);
});

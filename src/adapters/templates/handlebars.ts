import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { z } from 'zod';
import {
  GLOBALS,
  LANGS,
  MAIL_CATALOG,
  TEMPLATE_NAMES,
  type Lang,
  type MailLang,
  type RenderedMail,
  type TemplateName,
  type Templates,
  type TemplateVars,
} from '../../contracts/mail-catalog.ts';
import { headerSafe } from '../../domain/outgoing.ts';
import { html, TrustedHtml } from '../../domain/trusted-html.ts';

/**
 * Loads templates/<lang>/<name>.{subject.txt,txt,html} (Handlebars), checks
 * every one against the catalog, and renders them. Checking walks each
 * template's syntax tree with the zod schema of its variables as the scope,
 * so `{{organisation.name}}` (a typo) or `{{#each missing}}{{foo}}{{/each}}`
 * fails boot. Files named `_<name>.txt|html` are partials, checked in the
 * scope of every template that includes them.
 */

export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/', import.meta.url));

export const KINDS = ['subject', 'text', 'html'] as const;
export type Kind = (typeof KINDS)[number];
const SUFFIX: Record<Kind, string> = { subject: '.subject.txt', text: '.txt', html: '.html' };
const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);
const DATA_VARS = new Set(['index', 'first', 'last', 'key']);

export class TemplateError extends Error {
  readonly code = 'TEMPLATES_INVALID';
  constructor(readonly problems: string[]) {
    super(`Templates are invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`);
    this.name = 'TemplateError';
  }
}

const helpers = {
  eq: (a: unknown, b: unknown) => a === b,
  join: (list: unknown, sep: unknown) => (Array.isArray(list) ? list.map(String).join(typeof sep === 'string' ? sep : ', ') : ''),
  inc: (n: unknown) => Number(n) + 1,
};
const HELPERS = new Set(Object.keys(helpers));

// ------------------------------------------------------------- files

interface Source {
  file: string;
  source: string;
  ast: hbs.AST.Program;
}

interface LangSources {
  templates: Map<string, Partial<Record<Kind, Source>>>;
  /** by kind family: text partials (.txt) serve subject and text, html partials serve html */
  partials: { text: Map<string, Source>; html: Map<string, Source> };
  unknownFiles: string[];
}

function kindOf(file: string): { name: string; kind: Kind } | null {
  for (const kind of ['subject', 'html', 'text'] as const) {
    if (file.endsWith(SUFFIX[kind])) return { name: file.slice(0, -SUFFIX[kind].length), kind };
  }
  return null;
}

function parse(file: string, source: string, problems: string[]): Source | undefined {
  try {
    return { file, source, ast: Handlebars.parse(source, { srcName: file }) };
  } catch (err) {
    problems.push(`${file}: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

function readLang(dir: string, lang: string, problems: string[]): LangSources {
  const out: LangSources = { templates: new Map(), partials: { text: new Map(), html: new Map() }, unknownFiles: [] };
  const langDir = join(dir, lang);
  if (!existsSync(langDir)) {
    problems.push(`templates/${lang}/ is missing`);
    return out;
  }
  for (const f of readdirSync(langDir).sort()) {
    const k = kindOf(f);
    const file = `${lang}/${f}`;
    if (!k) {
      out.unknownFiles.push(file);
      continue;
    }
    const src = parse(file, readFileSync(join(langDir, f), 'utf8'), problems);
    if (!src) continue;
    if (k.name.startsWith('_')) {
      if (k.kind === 'subject') problems.push(`${file}: partials are .txt or .html`);
      else out.partials[k.kind === 'html' ? 'html' : 'text'].set(k.name, src);
      continue;
    }
    const entry = out.templates.get(k.name) ?? {};
    entry[k.kind] = src;
    out.templates.set(k.name, entry);
  }
  return out;
}

// ------------------------------------------------------------- the scope check

type Schema = z.ZodType;
type Def = { type: string } & Record<string, unknown>;
const defOf = (s: Schema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema a value has once parsed: without optional/nullable/default wrappers and through pipes. */
function unwrap(s: Schema): Schema {
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch'].includes(d.type)) {
      s = d.innerType as Schema;
    } else if (d.type === 'pipe') {
      const out = d.out as Schema;
      s = defOf(out).type === 'transform' ? (d.in as Schema) : out;
    } else return s;
  }
  return s;
}

function property(s: Schema, key: string): Schema | undefined {
  const u = unwrap(s);
  const d = defOf(u);
  if (d.type !== 'object') return undefined;
  const shape = d.shape as Record<string, Schema>;
  return Object.hasOwn(shape, key) ? shape[key] : undefined;
}

interface CheckContext {
  file: string;
  partials: Map<string, Source>;
  problems: string[];
  /** Partials being walked (guards recursion). */
  active: Set<string>;
  /** Every variable path referenced, for the sq/en parity check. */
  refs: Set<string>;
}

function where(c: CheckContext, n: hbs.AST.Node): string {
  return `${c.file}:${n.loc?.start.line ?? '?'}`;
}

function checkPath(p: hbs.AST.PathExpression, scopes: Schema[], c: CheckContext): Schema | undefined {
  if (p.data) {
    if (p.parts.length === 1 && DATA_VARS.has(p.parts[0] as string)) return z.unknown();
    c.problems.push(`${where(c, p)}: unknown data variable "${p.original}"`);
    return undefined;
  }
  c.refs.add(`${'../'.repeat(p.depth)}${p.parts.join('.') || 'this'}@${scopes.length - p.depth}`);
  let s = scopes[scopes.length - 1 - p.depth];
  if (!s) {
    c.problems.push(`${where(c, p)}: "${p.original}" goes above the template's root`);
    return undefined;
  }
  for (const part of p.parts) {
    const next = property(s, part);
    if (!next) {
      c.problems.push(`${where(c, p)}: unknown variable "${p.original}"`);
      return undefined;
    }
    s = next;
  }
  return s;
}

function checkExpr(e: hbs.AST.Expression, scopes: Schema[], c: CheckContext): Schema | undefined {
  switch (e.type) {
    case 'PathExpression':
      return checkPath(e as hbs.AST.PathExpression, scopes, c);
    case 'SubExpression': {
      const sub = e as hbs.AST.SubExpression;
      checkCall(sub.path, sub.params, sub.hash, scopes, c, true);
      return undefined;
    }
    default:
      return undefined; // literals
  }
}

function checkCall(
  path: hbs.AST.PathExpression | hbs.AST.Literal,
  params: hbs.AST.Expression[],
  hash: hbs.AST.Hash | undefined,
  scopes: Schema[],
  c: CheckContext,
  mustBeHelper: boolean,
): void {
  const name = path.type === 'PathExpression' ? (path as hbs.AST.PathExpression).original : null;
  const isHelper = name !== null && HELPERS.has(name);
  if (isHelper || params.length > 0 || (hash?.pairs.length ?? 0) > 0 || mustBeHelper) {
    if (!isHelper) c.problems.push(`${where(c, path)}: unknown helper "${name ?? '?'}"`);
    for (const p of params) checkExpr(p, scopes, c);
    for (const pair of hash?.pairs ?? []) checkExpr(pair.value, scopes, c);
    return;
  }
  if (path.type === 'PathExpression') checkPath(path as hbs.AST.PathExpression, scopes, c);
}

function walk(node: hbs.AST.Node, scopes: Schema[], c: CheckContext): void {
  switch (node.type) {
    case 'Program':
      for (const s of (node as hbs.AST.Program).body) walk(s, scopes, c);
      return;
    case 'ContentStatement':
    case 'CommentStatement':
      return;
    case 'MustacheStatement': {
      const m = node as hbs.AST.MustacheStatement;
      // Unescaped output is how user data becomes live HTML; TrustedHtml values need no triple-stash.
      if (!m.escaped) c.problems.push(`${where(c, m)}: triple-stash {{{…}}} is not allowed (pass TrustedHtml instead)`);
      checkCall(m.path, m.params, m.hash, scopes, c, false);
      return;
    }
    case 'BlockStatement': {
      const b = node as hbs.AST.BlockStatement;
      const name = b.path.original;
      if (!BLOCK_HELPERS.has(name) || b.params.length !== 1) {
        c.problems.push(`${where(c, b)}: unsupported block "{{#${name}}}" (use if, unless, each, with with one argument)`);
        return;
      }
      if ((b.program?.blockParams?.length ?? 0) > 0) c.problems.push(`${where(c, b)}: block parameters (as |x|) are not supported`);
      const arg = checkExpr(b.params[0] as hbs.AST.Expression, scopes, c);
      let inner = scopes;
      if (name === 'each' && arg) {
        const u = unwrap(arg);
        if (defOf(u).type !== 'array') c.problems.push(`${where(c, b)}: {{#each}} over "${(b.params[0] as hbs.AST.PathExpression).original}", which is not a list`);
        else inner = [...scopes, defOf(u).element as Schema];
      } else if (name === 'with' && arg) inner = [...scopes, arg];
      if (b.program) walk(b.program, inner, c);
      if (b.inverse) walk(b.inverse, scopes, c);
      return;
    }
    case 'PartialStatement': {
      const p = node as hbs.AST.PartialStatement;
      const name = p.name.type === 'PathExpression' ? (p.name as hbs.AST.PathExpression).original : null;
      const partial = name === null ? undefined : c.partials.get(name);
      if (name === null || !partial) {
        c.problems.push(`${where(c, p)}: unknown partial "${name ?? '(dynamic)'}"`);
        return;
      }
      if (p.params.length || p.hash?.pairs.length) c.problems.push(`${where(c, p)}: partials take no arguments`);
      c.refs.add(`>${name}`);
      if (c.active.has(name)) {
        c.problems.push(`${where(c, p)}: partial "${name}" includes itself`);
        return;
      }
      c.active.add(name);
      const file = c.file;
      c.file = `${partial.file} (from ${file})`;
      walk(partial.ast, scopes, c);
      c.file = file;
      c.active.delete(name);
      return;
    }
    default:
      c.problems.push(`${where(c, node)}: unsupported Handlebars syntax ${node.type}`);
  }
}

export function rootScope(name: TemplateName): Schema {
  return z.object({ ...GLOBALS.shape, ...MAIL_CATALOG[name].shape });
}

/** Checks one template's tree; returns the variables it references (for the sq/en parity test). */
export function checkTemplate(
  src: Source,
  root: Schema,
  partials: Map<string, Source>,
  problems: string[],
): Set<string> {
  const c: CheckContext = { file: src.file, partials, problems, active: new Set(), refs: new Set() };
  walk(src.ast, [root], c);
  return c.refs;
}

// ------------------------------------------------------------- engine

type Compiled = Record<Kind, HandlebarsTemplateDelegate>;

export interface TemplatesOptions {
  /** Folder holding sq/, en/ and layout.html. Defaults to the project's templates/. */
  dir?: string;
  coalitionName: string;
  coalitionAddress: string;
}

export interface TemplateCheck {
  problems: string[];
  /** lang → `<name><suffix>` → referenced variable paths */
  refs: Record<Lang, Map<string, Set<string>>>;
  files: Record<Lang, string[]>;
}

const LAYOUT_SCOPE = z.object({ lang: z.string(), title: z.string(), coalitionName: z.string(), body: z.custom<TrustedHtml>((v) => v instanceof TrustedHtml) });

/** Reads and checks every template without compiling; what boot and the tests run. */
export function checkTemplates(dir = DEFAULT_TEMPLATES_DIR): TemplateCheck & { sources: Record<Lang, LangSources>; layout?: Source } {
  const problems: string[] = [];
  const sources = {} as Record<Lang, LangSources>;
  const refs = {} as Record<Lang, Map<string, Set<string>>>;
  const files = {} as Record<Lang, string[]>;
  for (const k of Object.keys(MAIL_CATALOG)) if (k in GLOBALS.shape) problems.push(`catalog: "${k}" is also a global`);
  for (const lang of LANGS) {
    const s = readLang(dir, lang, problems);
    sources[lang] = s;
    refs[lang] = new Map();
    files[lang] = [];
    for (const f of s.unknownFiles) problems.push(`${f}: not a template (<name>.subject.txt, <name>.txt, <name>.html)`);
    for (const name of s.templates.keys()) {
      if (!(TEMPLATE_NAMES as string[]).includes(name)) problems.push(`${lang}/${name}: no such mail in the catalog (src/app/mail-catalog.ts)`);
    }
    for (const [kind, m] of Object.entries(s.partials)) for (const p of m.keys()) files[lang].push(`${p}${kind === 'html' ? '.html' : '.txt'}`);
    for (const name of TEMPLATE_NAMES) {
      const entry = s.templates.get(name) ?? {};
      for (const kind of KINDS) {
        const src = entry[kind];
        if (!src) {
          problems.push(`${lang}/${name}${SUFFIX[kind]} is missing`);
          continue;
        }
        files[lang].push(`${name}${SUFFIX[kind]}`);
        const partials = kind === 'html' ? s.partials.html : s.partials.text;
        refs[lang].set(`${name}${SUFFIX[kind]}`, checkTemplate(src, rootScope(name), partials, problems));
      }
    }
    files[lang].sort();
  }
  let layout: Source | undefined;
  const layoutFile = join(dir, 'layout.html');
  if (!existsSync(layoutFile)) problems.push('layout.html is missing');
  else {
    layout = parse('layout.html', readFileSync(layoutFile, 'utf8'), problems);
    if (layout) checkTemplate(layout, LAYOUT_SCOPE, new Map(), problems);
  }
  return { problems, refs, files, sources, layout };
}

const COMPILE = { strict: true, knownHelpersOnly: true, knownHelpers: { eq: true, join: true, inc: true } } as const;

/** Turns "a\n\n\n\nb  \n" into "a\n\nb\n": templates may leave blank lines where a block was empty. */
function tidyText(s: string): string {
  return `${s
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

export class HandlebarsTemplates implements Templates {
  private constructor(
    private readonly compiled: Record<Lang, Map<TemplateName, Compiled>>,
    private readonly layout: HandlebarsTemplateDelegate,
    private readonly globals: { coalitionName: string; coalitionAddress: string },
  ) {}

  /** Reads, checks and compiles everything; throws TemplateError listing every problem. */
  static load(o: TemplatesOptions): HandlebarsTemplates {
    const dir = o.dir ?? DEFAULT_TEMPLATES_DIR;
    const check = checkTemplates(dir);
    const problems = [...check.problems];
    const compiled = {} as Record<Lang, Map<TemplateName, Compiled>>;
    const env = Handlebars.create();
    let layout: HandlebarsTemplateDelegate | undefined;
    try {
      for (const lang of LANGS) {
        compiled[lang] = new Map();
        const s = check.sources[lang];
        // One environment per language and escaping mode, so partial names do not collide.
        const textEnv = Handlebars.create();
        const htmlEnv = Handlebars.create();
        for (const e of [textEnv, htmlEnv]) e.registerHelper(helpers);
        for (const [n, p] of s.partials.text) textEnv.registerPartial(n, textEnv.compile(p.source, { ...COMPILE, noEscape: true }));
        for (const [n, p] of s.partials.html) htmlEnv.registerPartial(n, htmlEnv.compile(p.source, COMPILE));
        for (const name of TEMPLATE_NAMES) {
          const e = s.templates.get(name);
          if (!e?.subject || !e.text || !e.html) continue;
          const t: Compiled = {
            subject: textEnv.compile(e.subject.source, { ...COMPILE, noEscape: true }),
            text: textEnv.compile(e.text.source, { ...COMPILE, noEscape: true }),
            html: htmlEnv.compile(e.html.source, COMPILE),
          };
          compiled[lang].set(name, t);
        }
      }
      if (check.layout) layout = env.compile(check.layout.source, COMPILE);
    } catch (err) {
      problems.push((err as Error).message.split('\n')[0] as string);
    }
    if (problems.length || !layout) throw new TemplateError(problems.length ? problems : ['layout.html could not be compiled']);
    return new HandlebarsTemplates(compiled, layout, { coalitionName: o.coalitionName, coalitionAddress: o.coalitionAddress });
  }

  render<N extends TemplateName>(name: N, lang: MailLang, vars: TemplateVars<N>): RenderedMail {
    const parsed = (MAIL_CATALOG[name] as z.ZodType).safeParse(vars);
    if (!parsed.success) {
      throw new TemplateError([`${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(vars)'} ${i.message}`).join(', ')}`]);
    }
    const one = (l: Lang) => {
      const t = this.compiled[l].get(name);
      if (!t) throw new TemplateError([`${l}/${name} is not loaded`]);
      const ctx = { ...this.globals, lang: l, ...(parsed.data as object) };
      return {
        subject: headerSafe(t.subject(ctx), 250),
        text: tidyText(t.text(ctx)),
        // Handlebars escaped every value while rendering the fragment.
        body: TrustedHtml.unsafeFromEscaped(t.html(ctx).trim()),
      };
    };
    if (lang !== 'both') {
      const r = one(lang);
      return { subject: r.subject, text: r.text, html: this.page(lang, r.subject, r.body) };
    }
    const sq = one('sq');
    const en = one('en');
    const subject = headerSafe(sq.subject === en.subject ? sq.subject : `${sq.subject} / ${en.subject}`, 250);
    return {
      subject,
      text: `${sq.text}\n-- English --\n\n${en.text}`,
      html: this.page('sq', subject, html`<div lang="sq">${sq.body}</div>\n<hr>\n<div lang="en">${en.body}</div>`),
    };
  }

  private page(lang: string, title: string, body: TrustedHtml): string {
    return this.layout({ lang, title, body, coalitionName: this.globals.coalitionName });
  }
}

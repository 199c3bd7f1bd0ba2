/**
 * render: a template name plus parameters gives the text of a mail we write ourselves.
 * Templates live in templates/ as audience.kind.name.txt: header lines (only Subject for now),
 * a blank line, then the body. Rendering is plain text: nothing is HTML-escaped, and every
 * value that lands in a header is stripped of line breaks and defanged (defangTokens) first.
 */
import fs from 'node:fs';
import path from 'node:path';
import Mustache from 'mustache';
import { AppError } from '../errors';
import { headerSafe } from '../message/headers';
import { defangTokens } from '../message/tokens';
import { TOKEN_PATTERN } from '../store/tokens';
import { shipped } from '../paths';

export const TEMPLATES_DIR = shipped('templates');

export interface Rendered {
  subject: string;
  text: string;
}

export type TemplateSet = Map<string, string>;

export function loadTemplates(dir: string = TEMPLATES_DIR): TemplateSet {
  const set: TemplateSet = new Map();
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith('.txt')) continue;
    const name = file.slice(0, -'.txt'.length);
    const text = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n');
    checkTemplate(name, text);
    set.set(name, text);
  }
  return set;
}

/**
 * Footers (audience.footer.name.txt), fragments (a sentence rendered into another record) and
 * partials (text included by other templates with {{> name}}) are a body only: never a mail alone.
 */
function isBodyOnly(name: string): boolean {
  return ['footer', 'fragment', 'partial'].includes(name.split('.')[1]!);
}

/** Only partials can be included: a template can never pull another mail in by name. */
function partialsOf(set: TemplateSet): (name: string) => string | undefined {
  return (name) => (name.split('.')[1] === 'partial' ? set.get(name) : undefined);
}

function checkTemplate(name: string, text: string): void {
  const blank = text.indexOf('\n\n');
  const head = blank < 0 ? text : text.slice(0, blank);
  if (!isBodyOnly(name) && !/^Subject: .+$/m.test(head))
    throw new AppError('TEMPLATE_INVALID', `template ${name} has no "Subject:" line before its first blank line`);
  try {
    Mustache.parse(text);
  } catch (err) {
    throw new AppError('TEMPLATE_INVALID', `template ${name}: ${(err as Error).message}`);
  }
}

const plain = { escape: (v: unknown): string => String(v) };

/** A body-only template (a footer, a fragment), rendered as plain text. */
export function renderBody(set: TemplateSet, name: string, params: object): string {
  const template = set.get(name);
  if (template === undefined || !isBodyOnly(name))
    throw new AppError('TEMPLATE_MISSING', `there is no footer template named ${name} in templates/`);
  return Mustache.render(template, params, partialsOf(set), plain).replace(/\n{3,}/g, '\n\n');
}

export function render(set: TemplateSet, name: string, params: Record<string, unknown>): Rendered {
  const template = set.get(name);
  if (template === undefined || isBodyOnly(name))
    throw new AppError('TEMPLATE_MISSING', `there is no template named ${name} in templates/`);
  const blank = template.indexOf('\n\n');
  const head = template.slice(0, blank);
  const body = template.slice(blank + 2);
  const subjectLine = head.split('\n').find((l) => l.startsWith('Subject: '))!;
  const subject = headerSafe(
    Mustache.render(subjectLine.slice('Subject: '.length), headerParams(params), partialsOf(set), plain),
  );
  checkSubjectTokens(name, subject, params);
  const text = Mustache.render(body, params, partialsOf(set), plain).replace(/\n{3,}/g, '\n\n');
  return { subject, text };
}

/**
 * Every string a template can reach in its header lines, at any depth (view.organization as much
 * as subject), stripped of line breaks and defanged: no value, whoever wrote it, can put text of
 * our token format into a subject. Our own tokens get there only through the template's literal
 * "tk-" before a bare 26-character value, which defanging leaves as it is.
 */
function headerParams(value: unknown): unknown {
  if (typeof value === 'string') return defangTokens(headerSafe(value));
  if (Array.isArray(value)) return value.map(headerParams);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, headerParams(v)]));
  }
  return value;
}

/**
 * The rendered subject carries no token but those the template put there: each token in it is a
 * top-level parameter's value. A subject that breaks this (two values side by side that together
 * read as a token) is refused, never sent.
 */
function checkSubjectTokens(name: string, subject: string, params: Record<string, unknown>): void {
  const ours = new Set(
    Object.values(params)
      .filter((v): v is string => typeof v === 'string')
      .map((v) => v.toLowerCase()),
  );
  const folded = subject.normalize('NFKC').replace(/\p{Default_Ignorable_Code_Point}/gu, '');
  for (const m of folded.matchAll(TOKEN_PATTERN)) {
    if (!ours.has(m[1]!.toLowerCase()))
      throw new AppError(
        'TEMPLATE_TOKEN_PLANTED',
        `template ${name} rendered a subject with a token it was not given; the mail is not sent`,
      );
  }
}

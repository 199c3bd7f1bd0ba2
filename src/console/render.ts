/**
 * Console pages from templates/console/*.mustache: the page's template, then layout.mustache
 * around it. Mustache's {{ }} escapes every value; {{{ }}} is used only for the page body that
 * was itself rendered from a template here.
 */
import fs from 'node:fs';
import path from 'node:path';
import Mustache from 'mustache';
import { shipped } from '../paths';

export const CONSOLE_TEMPLATES_DIR = shipped('templates', 'console');

export type PageName = 'login' | 'requests' | 'disclosures' | 'held' | 'members' | 'leaks' | 'audit' | 'error';

export interface Renderer {
  page(name: PageName, view: Record<string, unknown>, frame: Frame): string;
  css: string;
}

/** What the layout needs: the title, the signed-in moderator (null on the sign-in page), the CSRF token, a notice. */
export interface Frame {
  title: string;
  current?: string;
  moderator: string | null;
  csrf: string | null;
  flash: string | null;
  listName: string;
}

const NAV = [
  ['requests', 'Requests'],
  ['disclosures', 'Disclosures'],
  ['held', 'Held'],
  ['members', 'Members'],
  ['leaks', 'Leaks'],
  ['audit', 'Audit'],
] as const;

export function loadRenderer(dir: string = CONSOLE_TEMPLATES_DIR): Renderer {
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const templates = new Map<string, string>();
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.mustache')) templates.set(f.slice(0, -9), read(f));
  const layout = templates.get('layout');
  if (!layout) throw new Error(`console template layout.mustache missing in ${dir}`);
  const css = read('console.css');
  return {
    css,
    page(name, view, frame) {
      const body = templates.get(name);
      if (body === undefined) throw new Error(`console template ${name}.mustache missing in ${dir}`);
      const html = Mustache.render(body, { ...view, csrf: frame.csrf });
      return Mustache.render(layout, {
        ...frame,
        body: html,
        nav: frame.moderator ? NAV.map(([href, label]) => ({ href, label, current: href === frame.current })) : [],
      });
    },
  };
}

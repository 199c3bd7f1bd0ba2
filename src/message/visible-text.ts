/**
 * HTML -> the text a reader sees. Pure. The HTML is parsed once, as a browser builds it (parse5,
 * into domhandler nodes), everything a reader cannot see is removed from the tree, and what is left is
 * rendered to text by html-to-text with mailparser's options, so quotes still come out as "> "
 * lines and Outlook's header blocks as they always did.
 *
 * Removed: elements that never show text (script, style, head, title, template, noscript, form
 * controls, embedded objects, ...), the `hidden` attribute, closed <dialog> and <details> bodies,
 * comments, and whatever an inline style or a <style> rule hides (see css/evaluate.ts; a rule inside
 * @media counts as applying). Fails closed: HTML nested too deep, a style sheet that cannot be
 * read or that imports another, too much CSS to check, or layout that can cover, move or clip one
 * text over another (css/evaluate.ts `layout`) gives no visible text at all.
 */
import { compile as compileSelector } from 'css-select';
import * as csstree from 'css-tree';
import render from 'dom-serializer';
import { isTag, isText, type ChildNode, type Document, type Element } from 'domhandler';
import { parse as parseHtml5 } from 'parse5';
import { adapter as domAdapter } from 'parse5-htmlparser2-tree-adapter';
import { compile as compileConverter } from 'html-to-text';
import { evaluateStyle } from './css/evaluate';
import { parseStyleAttribute, parseStyleSheet, type Block, type StyleRule } from './css/parse';
import { ROOT, type Inherited } from './css/tally';

/** As mailparser: deeper HTML is not converted (html-to-text's walk would overflow the stack). */
export const MAX_HTML_DEPTH = 1000;
/** Style rules times elements that we are willing to match (200 rules over 4,800 elements took 0.14-0.43 s here); more gives no visible text. */
const MAX_SELECTOR_WORK = 1_000_000;

/** Elements whose content a reader never sees as text (or sees only in a way we cannot know). */
const NEVER_SHOWN = new Set([
  'script',
  'style',
  'head',
  'title',
  'template',
  'noscript',
  'meta',
  'link',
  'base',
  'input',
  'select',
  'option',
  'optgroup',
  'datalist',
  'object',
  'embed',
  'param',
  'applet',
  'iframe',
  'frame',
  'frameset',
  'noframes',
  'noembed',
  'xmp',
  'plaintext',
  'svg',
  'math',
  'canvas',
  'audio',
  'video',
  'source',
  'track',
  'picture',
  'img',
  'map',
  'area',
  'meter',
  'progress',
  'rp',
  'slot',
]);

/**
 * mailparser's html-to-text call, except: no URLs of links and images and no upper-casing (none of
 * it is what a reader sees), and no wrapping at 80 columns (the reader's window wraps; a keyword's
 * argument stays on its line).
 */
const convert = compileConverter({
  wordwrap: false,
  limits: { maxDepth: MAX_HTML_DEPTH + 2 }, // and the <html> and <body> the parser implies
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => ({ selector: h, options: { uppercase: false } })),
    { selector: 'table', options: { uppercaseHeaderCells: false } },
  ],
});

const TOO_DEEP = new Error('HTML nested too deep');

/**
 * Builds the DOM as a browser does (parse5 follows the HTML standard's tree construction: the
 * implied <html>, <head> and <body>, <style> moved into <head>, misnested tags closed), so that a
 * selector such as "div:first-child" or "body > div" matches what it matches for the reader.
 * Null when elements nest deeper than MAX_HTML_DEPTH (counted without recursion).
 */
function parseHtml(html: string): Document | null {
  // The parser's stack of open elements is counted as it grows: HTML that nests too deep is given
  // up at once, before the parser's work on a deep stack (foster parenting, adoption) adds up.
  let open = 0;
  const treeAdapter: typeof domAdapter = {
    ...domAdapter,
    onItemPush(): void {
      open += 1;
      if (open > MAX_HTML_DEPTH + 2) throw TOO_DEEP;
    },
    onItemPop(): void {
      open -= 1;
    },
  };
  let doc: Document;
  try {
    // Scripting off, as in a mail client: what is inside <noscript> is markup (its <style> applies).
    doc = parseHtml5(html, { treeAdapter, scriptingEnabled: false }) as unknown as Document;
  } catch (err) {
    if (err === TOO_DEEP) return null;
    throw err;
  }
  const stack: [ChildNode, number][] = doc.children.map((c) => [c, 1]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_HTML_DEPTH + 2) return null; // <html> and <body> are not the sender's nesting
    if (isTag(node)) for (const c of node.children) stack.push([c, depth + 1]);
  }
  return doc;
}

function* elements(nodes: readonly ChildNode[]): Generator<Element> {
  const stack = [...nodes].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!isTag(node)) continue;
    yield node;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
}

/** The text of a <style> element (its raw text children). */
function styleText(el: Element): string {
  return el.children.map((c) => (isText(c) ? c.data : '')).join('');
}

/**
 * A rule's selector for css-select. Pseudo-elements (::first-line, ::before) and pseudo-classes
 * css-select does not know are dropped from the compound they stand in, which only widens what
 * it matches; a selector that still cannot be compiled, or that css-tree could not parse,
 * matches every element.
 */
function matcher(selector: StyleRule['selector']): (el: Element) => boolean {
  const everything = (): boolean => true;
  if (selector.type === 'Raw') return everything;
  const options = { quirksMode: true }; // mail without a doctype renders in quirks mode: class and id ignore case
  try {
    return compileSelector<ChildNode, Element>(csstree.generate(selector), options);
  } catch {
    const wider = csstree.clone(selector) as csstree.SelectorList;
    csstree.walk(wider, {
      visit: 'Selector',
      enter(sel) {
        const kept: csstree.CssNode[] = [];
        let compoundEmpty = true;
        let dropped = false;
        const close = (): void => {
          if (compoundEmpty && dropped) kept.push({ type: 'TypeSelector', name: '*' });
        };
        for (const node of sel.children.toArray()) {
          if (node.type === 'Combinator') {
            close();
            kept.push(node);
            compoundEmpty = true;
            dropped = false;
            continue;
          }
          if (node.type === 'PseudoElementSelector' || node.type === 'PseudoClassSelector') {
            dropped = true;
            continue;
          }
          kept.push(node);
          compoundEmpty = false;
        }
        close();
        sel.children = new csstree.List<csstree.CssNode>().fromArray(kept);
      },
    });
    try {
      return compileSelector<ChildNode, Element>(csstree.generate(wider), options);
    } catch {
      return everything;
    }
  }
}

/** Every style sheet's blocks, by the element they apply to; null when a sheet cannot be read or checked. */
function sheetBlocks(doc: Document): Map<Element, Block[]> | null {
  const all = [...elements(doc.children)];
  const rules: StyleRule[] = [];
  for (const el of all) {
    if (el.name === 'link' && /\bstylesheet\b/i.test(el.attribs.rel ?? '')) return null;
    if (el.name !== 'style') continue;
    const sheet = parseStyleSheet(styleText(el));
    if (sheet.unreadable !== null) return null;
    rules.push(...sheet.rules);
  }
  const byElement = new Map<Element, Block[]>();
  if (rules.length * all.length > MAX_SELECTOR_WORK) return null;
  for (const rule of rules) {
    if (rule.block.decls.length === 0 && !rule.block.unreadable) continue;
    const matches = matcher(rule.selector);
    for (const el of all) {
      if (!matches(el)) continue;
      const list = byElement.get(el) ?? [];
      list.push(rule.block);
      byElement.set(el, list);
    }
  }
  return byElement;
}

function hasAttribute(el: Element, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(el.attribs, name);
}

function removeNode(node: ChildNode): void {
  const parent = node.parent;
  if (!parent) return;
  const i = parent.children.indexOf(node);
  if (i >= 0) parent.children.splice(i, 1);
  if (node.prev) node.prev.next = node.next;
  if (node.next) node.next.prev = node.prev;
  node.parent = null;
}

/** Why an element cannot be seen by its name or attributes, or null. */
function hiddenByMarkup(el: Element): string | null {
  if (NEVER_SHOWN.has(el.name)) return `<${el.name}>`;
  if (hasAttribute(el, 'hidden')) return 'the hidden attribute';
  if (el.name === 'dialog' && !hasAttribute(el, 'open')) return 'a closed <dialog>';
  return null;
}

/** Removes from `parent` every node a reader cannot see, depth first; `layout.why` says when one may cover or move another. */
function prune(
  parent: Document | Element,
  inherited: Inherited,
  textHidden: boolean,
  sheets: Map<Element, Block[]>,
  layout: { why: string | null },
): void {
  let summarySeen = false;
  const closedDetails = isTag(parent) && parent.name === 'details' && !hasAttribute(parent, 'open');
  for (const node of [...parent.children]) {
    if (isText(node)) {
      if (textHidden || closedDetails) removeNode(node);
      continue;
    }
    if (!isTag(node)) {
      removeNode(node);
      continue;
    } // comments, CDATA, processing instructions, doctype
    if (closedDetails && (node.name !== 'summary' || summarySeen)) {
      removeNode(node);
      continue;
    }
    if (node.name === 'summary') summarySeen = true;
    if (hiddenByMarkup(node) !== null) {
      removeNode(node);
      continue;
    }
    const blocks = [...(sheets.get(node) ?? [])];
    if (node.attribs.style !== undefined) blocks.push(parseStyleAttribute(node.attribs.style));
    const legacy = {
      color: node.name === 'font' ? node.attribs.color : node.name === 'body' ? node.attribs.text : undefined,
      background: node.attribs.bgcolor,
    };
    const style = evaluateStyle(blocks, inherited, legacy);
    layout.why = layout.why ?? style.layout;
    if (style.hidden !== null) {
      removeNode(node);
      continue;
    }
    prune(node, style.inherited, style.textHidden !== null, sheets, layout);
  }
}

/**
 * The text a reader sees of an HTML body, rendered like mailparser's text of an HTML-only mail.
 * '' when nothing can be seen, or when the HTML cannot be read with certainty.
 */
export function visibleText(html: string): string {
  const doc = parseHtml(html);
  if (doc === null) return '';
  const sheets = sheetBlocks(doc);
  if (sheets === null) return '';
  const layout = { why: null as string | null };
  prune(doc, ROOT, false, sheets, layout);
  if (layout.why !== null) return ''; // what covers or moves what is for a layout engine to say, not us
  return convert(render(doc, { encodeEntities: 'utf8', decodeEntities: true }));
}

/**
 * Whether CSS hides an element or its text from a reader. Pure. Fails closed: a style that cannot
 * be read with certainty hides, and any one declaration that hides is enough, whatever comes after
 * it (a later "display:block" may be invalid to a browser, and the cascade between a style sheet
 * and an inline style is not worth betting a moderator command on).
 */
import * as csstree from 'css-tree';
import type { CssNode, Declaration } from 'css-tree';
import {
  BLACK,
  contrast,
  fraction,
  isOpaqueFunction,
  lengthPx,
  readColor,
  readLegacyColor,
  ROOT_FONT_PX,
  UNSURE,
  valueNodes,
  WHITE,
  type Rgba,
  type Unsure,
} from './css-values';

/** Declarations from one style attribute or one style sheet rule; `unreadable` when part of it could not be parsed. */
export interface Block {
  decls: Declaration[];
  unreadable: boolean;
}

/** What an element hands down to its children. */
export interface Inherited {
  fontPx: number | Unsure;
  /** The text colours that may apply (one per source that set one); UNSURE when one could not be read. */
  colors: Rgba[] | Unsure;
  /** The background behind the element: the nearest one set on it or an ancestor. */
  backgrounds: Rgba[] | Unsure;
}

export const ROOT: Inherited = { fontPx: ROOT_FONT_PX, colors: [BLACK], backgrounds: [WHITE] };

/** Legacy presentational attributes that set colours. */
export interface LegacyColors {
  color?: string;
  background?: string;
}

export interface ElementStyle {
  /** Why the element and everything in it cannot be seen, or null. */
  hidden: string | null;
  /** Why its own text cannot be seen (too small, no contrast), or null; children may differ. */
  textHidden: string | null;
  /**
   * Why the element may move, cover, clip or reorder other content (positioning, a negative
   * margin, a transform, an animation, a clipped box of a set size, a reversed flex order), or
   * null. Where one text ends up over or out of another cannot be known without laying the page
   * out, so the whole HTML is then read as showing nothing (visible-text.ts).
   */
  layout: string | null;
  inherited: Inherited;
}

/** Below these a reader cannot see text. */
const MIN_FONT_PX = 4;
const MIN_BOX_PX = 4;
const MIN_OPACITY = 0.2;
const MIN_CONTRAST = 1.5;
/** Further out than this is off-screen. */
const OFFSCREEN_NEGATIVE_PX = -100;
const OFFSCREEN_POSITIVE_PX = 2000;

const FONT_KEYWORDS: Record<string, number> = {
  'xx-small': 9,
  'x-small': 10,
  small: 13,
  medium: 16,
  large: 18,
  'x-large': 24,
  'xx-large': 32,
  'xxx-large': 48,
};
const WIDE_KEYWORDS = new Set(['inherit', 'initial', 'unset', 'revert', 'revert-layer']);

/** Properties whose value is only "none" (or "auto" for clip) when they change nothing. */
const NONE_OR_HIDDEN = new Set(['transform', 'translate', 'scale', 'clip-path', 'mask', 'mask-image', 'filter']);
const BOXES = new Set(['height', 'max-height', 'width', 'max-width', 'line-height']);
const OFFSETS = new Set([
  'text-indent',
  'left',
  'top',
  'right',
  'bottom',
  'inset',
  'margin',
  'margin-left',
  'margin-top',
  'margin-right',
  'margin-bottom',
]);
/** Properties that move an element over others (or others over it): judged as layout, never as hiding alone. */
const MOVES = new Set(['transform', 'translate', 'scale', 'rotate']);
const PARSED_BY_US = new Set([
  'position',
  'z-index',
  'animation',
  'animation-name',
  'order',
  'flex-direction',
  'flex-flow',
  'background-image',
  'rotate',
  'display',
  'visibility',
  'content-visibility',
  'mso-hide',
  'opacity',
  'clip',
  'zoom',
  'font-size',
  'font',
  'overflow',
  'overflow-x',
  'overflow-y',
  'color',
  'text-fill-color',
  'background',
  'background-color',
  'letter-spacing',
  ...NONE_OR_HIDDEN,
  ...BOXES,
  ...OFFSETS,
]);

/** Property name as a browser matches it: escapes decoded, lower case, vendor prefix dropped. */
export function propertyName(decl: Declaration): string {
  return csstree.ident
    .decode(decl.property)
    .toLowerCase()
    .replace(/^-(?:webkit|moz|ms|o)-/, '');
}

function identifiers(nodes: CssNode[]): string[] {
  return nodes
    .filter((n): n is csstree.Identifier => n.type === 'Identifier')
    .map((n) => csstree.ident.decode(n.name).toLowerCase());
}

function hasOpaqueFunction(decl: Declaration, allowed: readonly string[] = []): boolean {
  let found = false;
  csstree.walk(decl.value, {
    visit: 'Function',
    enter(n) {
      if (isOpaqueFunction(n) && !allowed.includes(n.name.toLowerCase())) found = true;
    },
  });
  return found;
}

/** The font size a `font` shorthand sets: the value before "/", else the last length or size keyword. */
function fontShorthandSize(nodes: CssNode[]): CssNode | null {
  const slash = nodes.findIndex((n) => n.type === 'Operator' && n.value === '/');
  if (slash > 0) return nodes[slash - 1]!;
  let size: CssNode | null = null;
  for (const n of nodes) {
    if (n.type === 'Dimension' || n.type === 'Percentage') size = n;
    if (n.type === 'Identifier' && csstree.ident.decode(n.name).toLowerCase() in FONT_KEYWORDS) size = n;
    if (n.type === 'Number' && Number(n.value) === 0) size = n;
  }
  return size;
}

function fontSizePx(node: CssNode, parentPx: number | Unsure): number | Unsure | null {
  if (node.type === 'Identifier') {
    const name = csstree.ident.decode(node.name).toLowerCase();
    if (name in FONT_KEYWORDS) return FONT_KEYWORDS[name]!;
    if (name === 'smaller' || name === 'larger')
      return parentPx === UNSURE ? UNSURE : name === 'smaller' ? parentPx / 1.2 : parentPx * 1.2;
    return WIDE_KEYWORDS.has(name) ? null : UNSURE;
  }
  if (parentPx === UNSURE) return UNSURE;
  return lengthPx(node, parentPx, parentPx);
}

function backgroundColors(nodes: CssNode[]): Rgba[] | Unsure {
  const found: Rgba[] = [];
  for (const n of nodes) {
    if (n.type !== 'Hash' && n.type !== 'Function' && n.type !== 'Identifier' && n.type !== 'Url') continue;
    // An image or a gradient behind the text may be of the text's own colour.
    if (n.type === 'Url' || (n.type === 'Function' && /gradient$/i.test(n.name))) return UNSURE;
    const c = readColor(n);
    if (c === UNSURE) return UNSURE;
    if (c !== null) found.push(c);
  }
  return found;
}

interface Tally {
  hidden: string | null;
  layout: string | null;
  overflowHidden: boolean;
  tinyBox: string | null;
  /** A width or height set to a size (not tiny): with overflow hidden, what is pushed past it is cut off. */
  sizedBox: string | null;
  fontPx: number | Unsure | null;
  colors: Rgba[] | Unsure | null;
  backgrounds: Rgba[] | Unsure | null;
}

function addColors(current: Rgba[] | Unsure | null, more: Rgba[] | Unsure): Rgba[] | Unsure {
  if (current === UNSURE || more === UNSURE) return UNSURE;
  return [...(current ?? []), ...more];
}

/** One declaration's effect on the tally; returns why it hides the element, or null. */
function apply(decl: Declaration, t: Tally, parent: Inherited): string | null {
  const prop = propertyName(decl);
  if (!PARSED_BY_US.has(prop)) return null;
  const nodes = valueNodes(decl);
  // Checked first: a transform whose function we do not compute still moves the element.
  if (
    MOVES.has(prop) &&
    !(
      decl.value.type === 'Value' &&
      decl.value.children.size === 1 &&
      decl.value.children.first?.type === 'Identifier' &&
      csstree.ident.decode((decl.value.children.first as csstree.Identifier).name).toLowerCase() === 'none'
    )
  )
    t.layout = t.layout ?? prop;
  const allowed =
    prop === 'background'
      ? [
          'linear-gradient',
          'radial-gradient',
          'conic-gradient',
          'repeating-linear-gradient',
          'repeating-radial-gradient',
        ]
      : [];
  if (nodes === UNSURE || hasOpaqueFunction(decl, allowed)) return `${prop} cannot be read`;
  const words = identifiers(nodes);
  if (words.some((w) => WIDE_KEYWORDS.has(w)) && nodes.length === 1) return null;
  const fontPx = t.fontPx ?? parent.fontPx;
  const only = (word: string): boolean => words.length === 1 && nodes.length === 1 && words[0] === word;
  switch (prop) {
    case 'position':
      if (!only('static') && !only('relative')) t.layout = t.layout ?? `position:${words.join(' ')}`;
      return null;
    case 'z-index':
      if (
        !only('auto') &&
        !(nodes.length === 1 && nodes[0]!.type === 'Number' && Number((nodes[0] as csstree.NumberNode).value) >= 0)
      )
        t.layout = t.layout ?? 'z-index';
      return null;
    case 'animation':
    case 'animation-name':
      if (!only('none')) t.layout = t.layout ?? prop;
      return null;
    case 'order':
      if (!(nodes.length === 1 && nodes[0]!.type === 'Number' && Number((nodes[0] as csstree.NumberNode).value) === 0))
        t.layout = t.layout ?? 'order';
      return null;
    case 'flex-direction':
    case 'flex-flow':
      if (words.some((w) => w.endsWith('-reverse'))) t.layout = t.layout ?? `${prop}:${words.join(' ')}`;
      return null;
    case 'background-image':
      if (!only('none')) t.backgrounds = addColors(t.backgrounds, UNSURE);
      return null;
    case 'display':
      return words.includes('none') ? 'display:none' : null;
    case 'visibility':
      return words.includes('hidden') || words.includes('collapse') ? `visibility:${words.join(' ')}` : null;
    case 'content-visibility':
      return words.includes('hidden') ? 'content-visibility:hidden' : null;
    case 'mso-hide':
      return words.includes('all') ? 'mso-hide:all' : null;
    case 'clip':
      return words.length === 1 && words[0] === 'auto' ? null : 'clip';
    case 'letter-spacing': {
      if (words.length === 1 && words[0] === 'normal') return null;
      const px = nodes.length === 1 && fontPx !== UNSURE ? lengthPx(nodes[0]!, fontPx, null) : UNSURE;
      return px === UNSURE || px < -3 ? 'letter-spacing' : null;
    }
    case 'opacity':
    case 'zoom': {
      if (prop === 'zoom' && words.length === 1 && ['normal', 'reset'].includes(words[0]!)) return null;
      const v = nodes.length === 1 ? fraction(nodes[0]!) : UNSURE;
      return v === UNSURE || v < MIN_OPACITY ? `${prop}:${v === UNSURE ? '?' : v}` : null;
    }
    case 'overflow':
    case 'overflow-x':
    case 'overflow-y':
      if (words.includes('hidden') || words.includes('clip')) t.overflowHidden = true;
      return null;
    case 'font-size':
    case 'font': {
      const node = prop === 'font' ? fontShorthandSize(nodes) : nodes.length === 1 ? nodes[0]! : null;
      if (node === null) return prop === 'font' ? null : `${prop} cannot be read`;
      const size = fontSizePx(node, parent.fontPx);
      if (size !== null) t.fontPx = size;
      return null;
    }
    case 'color':
    case 'text-fill-color': {
      const c = nodes.length === 1 ? readColor(nodes[0]!) : UNSURE;
      if (c !== null) t.colors = addColors(t.colors, c === UNSURE ? UNSURE : [c]);
      return null;
    }
    case 'background':
    case 'background-color': {
      const found = prop === 'background-color' && nodes.length !== 1 ? UNSURE : backgroundColors(nodes);
      // A background that is mostly see-through leaves the one behind it.
      if (found === UNSURE || found.some((c) => c.a >= 0.5))
        t.backgrounds = addColors(t.backgrounds, found === UNSURE ? UNSURE : found.filter((c) => c.a >= 0.5));
      return null;
    }
    default:
      break;
  }
  if (NONE_OR_HIDDEN.has(prop)) return only('none') ? null : prop;
  if (prop === 'rotate') return null;
  if (BOXES.has(prop)) {
    if (words.length === 1 && nodes.length === 1) return null; // auto, none, normal, fit-content ...
    const node = nodes.length === 1 ? nodes[0]! : null;
    // A unitless line-height multiplies the font size; elsewhere it is pixels (quirks mode).
    const px =
      node === null || fontPx === UNSURE
        ? UNSURE
        : prop === 'line-height' && node.type === 'Number'
          ? Number(node.value) * fontPx
          : lengthPx(node, fontPx, null);
    if (px === UNSURE || px < MIN_BOX_PX) t.tinyBox = t.tinyBox ?? prop;
    else if (prop !== 'line-height') t.sizedBox = t.sizedBox ?? prop;
    return null;
  }
  if (OFFSETS.has(prop)) {
    for (const n of nodes) {
      if (n.type === 'Identifier' || n.type === 'Operator') continue;
      const px = fontPx === UNSURE ? UNSURE : lengthPx(n, fontPx, null);
      if (px === UNSURE) {
        if (n.type === 'Percentage' && Number(n.value) > -50 && Number(n.value) < 100) continue;
        return `${prop} cannot be read`;
      }
      if (px <= OFFSCREEN_NEGATIVE_PX || px >= OFFSCREEN_POSITIVE_PX) return `${prop} off-screen`;
      // A negative margin pulls the element over its neighbour; an offset moves a positioned one.
      if ((prop.startsWith('margin') && px < 0) || (!prop.startsWith('margin') && prop !== 'text-indent' && px !== 0))
        t.layout = t.layout ?? prop;
    }
  }
  return null;
}

/** What the blocks that apply to one element (style sheet rules, then its style attribute) do to it. */
export function evaluateStyle(blocks: readonly Block[], parent: Inherited, legacy: LegacyColors = {}): ElementStyle {
  const t: Tally = {
    hidden: null,
    layout: null,
    overflowHidden: false,
    tinyBox: null,
    sizedBox: null,
    fontPx: null,
    colors: null,
    backgrounds: null,
  };
  const legacyColor = legacy.color !== undefined ? readLegacyColor(legacy.color) : null;
  const legacyBackground = legacy.background !== undefined ? readLegacyColor(legacy.background) : null;
  if (legacyColor) t.colors = [legacyColor];
  if (legacyBackground && legacyBackground.a >= 0.5) t.backgrounds = [legacyBackground];
  for (const block of blocks) {
    if (block.unreadable) t.hidden = t.hidden ?? 'a style that cannot be read';
    for (const decl of block.decls) {
      const why = apply(decl, t, parent);
      if (why !== null) t.hidden = t.hidden ?? why;
    }
  }
  if (t.hidden === null && t.overflowHidden && t.tinyBox !== null) t.hidden = `${t.tinyBox} with overflow hidden`;
  if (t.overflowHidden && t.sizedBox !== null) t.layout = t.layout ?? `${t.sizedBox} with overflow hidden`;
  const inherited: Inherited = {
    fontPx: t.fontPx ?? parent.fontPx,
    colors: t.colors ?? parent.colors,
    backgrounds: t.backgrounds ?? parent.backgrounds,
  };
  return { hidden: t.hidden, textHidden: textHidden(inherited), inherited, layout: t.layout };
}

function textHidden({ fontPx, colors, backgrounds }: Inherited): string | null {
  if (fontPx === UNSURE || fontPx < MIN_FONT_PX) return 'font-size too small';
  if (colors === UNSURE || backgrounds === UNSURE) return 'a colour that cannot be read';
  if (colors.some((c) => c.a < MIN_OPACITY)) return 'transparent colour';
  if (colors.some((c) => backgrounds.some((b) => contrast(c, b) < MIN_CONTRAST))) return 'colour of the background';
  return null;
}

/** A style attribute's declarations. */
export function parseStyleAttribute(text: string): Block {
  let errors = 0;
  const ast = csstree.parse(text, {
    context: 'declarationList',
    parseValue: true,
    onParseError: () => {
      errors += 1;
    },
  });
  const decls: Declaration[] = [];
  let raw = false;
  if (ast.type === 'DeclarationList') {
    for (const node of ast.children.toArray()) {
      if (node.type === 'Declaration') decls.push(node);
      else raw = true;
    }
  } else raw = true;
  return { decls, unreadable: errors > 0 || raw };
}

export interface StyleRule {
  selector: csstree.SelectorList | csstree.Raw;
  block: Block;
}

/**
 * The rules of a <style> element, those inside @media, @supports and every other block at-rule
 * included: a rule counts as applying whatever its condition. `unreadable` when the sheet imports
 * another, or part of it could not be parsed into rules (then nobody knows what it hides).
 */
export function parseStyleSheet(text: string): { rules: StyleRule[]; unreadable: string | null } {
  let errors = 0;
  const ast = csstree.parse(text, {
    context: 'stylesheet',
    parseValue: true,
    parseRulePrelude: true,
    onParseError: () => {
      errors += 1;
    },
  });
  const rules: StyleRule[] = [];
  let unreadable: string | null = errors > 0 ? 'a style sheet that cannot be parsed' : null;
  csstree.walk(ast, {
    enter(this: csstree.WalkContext, node: CssNode) {
      if (node.type === 'Atrule' && csstree.keyword(node.name).basename === 'import')
        unreadable = unreadable ?? '@import of another style sheet';
      // A Raw where a rule or a declaration should be: something a browser may read and we cannot.
      const inRule = this.rule !== null || this.declaration !== null || this.atrulePrelude !== null;
      if (node.type === 'Raw' && !inRule && node.value.trim() !== '')
        unreadable = unreadable ?? 'a style sheet that cannot be parsed';
      if (node.type !== 'Rule') return;
      const decls: Declaration[] = [];
      let raw = false;
      for (const child of node.block.children.toArray()) {
        if (child.type === 'Declaration') decls.push(child);
        else if (child.type !== 'Rule') raw = true;
      }
      rules.push({ selector: node.prelude, block: { decls, unreadable: raw } });
    },
  });
  return { rules, unreadable };
}

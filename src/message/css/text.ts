/**
 * Whether an element's own text can be read: its font size and its colour against the background
 * behind it. Pure. A size or colour that cannot be read with certainty makes the text unreadable.
 */
import type { CssNode } from 'css-tree';
import { keyword, WIDE_KEYWORDS, type Reading } from './declaration';
import { addColors, MIN_OPACITY, type Inherited, type Tally } from './tally';
import { contrast, lengthPx, readColor, UNSURE, type Rgba, type Unsure } from './values';

/** Below these a reader cannot see text. */
const MIN_FONT_PX = 4;
const MIN_CONTRAST = 1.5;

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

/** The properties `applyText` reads. */
export const TEXT_PROPERTIES = new Set([
  'background-image',
  'font-size',
  'font',
  'color',
  'text-fill-color',
  'background',
  'background-color',
]);

/** The font size a `font` shorthand sets: the value before "/", else the last length or size keyword. */
function fontShorthandSize(nodes: CssNode[]): CssNode | null {
  const slash = nodes.findIndex((n) => n.type === 'Operator' && n.value === '/');
  if (slash > 0) return nodes[slash - 1]!;
  let size: CssNode | null = null;
  for (const n of nodes) {
    if (n.type === 'Dimension' || n.type === 'Percentage') size = n;
    if (n.type === 'Identifier' && keyword(n) in FONT_KEYWORDS) size = n;
    if (n.type === 'Number' && Number(n.value) === 0) size = n;
  }
  return size;
}

function fontSizePx(node: CssNode, parentPx: number | Unsure): number | Unsure | null {
  if (node.type === 'Identifier') {
    const name = keyword(node);
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

/** One font or colour declaration's effect on the tally; returns why it hides the element, or null. */
export function applyText({ prop, nodes, only }: Reading, t: Tally, parent: Inherited): string | null {
  switch (prop) {
    case 'background-image':
      if (!only('none')) t.backgrounds = addColors(t.backgrounds, UNSURE);
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
      return null;
  }
}

/** Why the text an element hands down cannot be read (too small, no contrast), or null. */
export function textHidden({ fontPx, colors, backgrounds }: Inherited): string | null {
  if (fontPx === UNSURE || fontPx < MIN_FONT_PX) return 'font-size too small';
  if (colors === UNSURE || backgrounds === UNSURE) return 'a colour that cannot be read';
  if (colors.some((c) => c.a < MIN_OPACITY)) return 'transparent colour';
  if (colors.some((c) => backgrounds.some((b) => contrast(c, b) < MIN_CONTRAST))) return 'colour of the background';
  return null;
}

/**
 * What one declaration does to an element: hides it (display, visibility, opacity, clipping, a
 * tiny or off-screen box, ...), moves it (layout.ts), or sets its font and colours (text.ts).
 * Pure. Fails closed: a value that cannot be read with certainty hides.
 */
import type { Declaration } from 'css-tree';
import { propertyName, readDeclaration, WIDE_KEYWORDS, type Reading } from './declaration';
import { applyLayout, LAYOUT_PROPERTIES, MOVES, noteMove } from './layout';
import { MIN_OPACITY, type Inherited, type Tally } from './tally';
import { applyText, TEXT_PROPERTIES } from './text';
import { fraction, lengthPx, UNSURE, type Unsure } from './values';

const MIN_BOX_PX = 4;
/** Further out than this is off-screen. */
const OFFSCREEN_NEGATIVE_PX = -100;
const OFFSCREEN_POSITIVE_PX = 2000;

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
const PARSED_BY_US = new Set([
  ...LAYOUT_PROPERTIES,
  ...TEXT_PROPERTIES,
  ...MOVES,
  'display',
  'visibility',
  'content-visibility',
  'mso-hide',
  'opacity',
  'clip',
  'zoom',
  'overflow',
  'overflow-x',
  'overflow-y',
  'letter-spacing',
  ...NONE_OR_HIDDEN,
  ...BOXES,
  ...OFFSETS,
]);

/** One declaration's effect on the tally; returns why it hides the element, or null. */
export function applyDeclaration(decl: Declaration, t: Tally, parent: Inherited): string | null {
  const prop = propertyName(decl);
  if (!PARSED_BY_US.has(prop)) return null;
  noteMove(prop, decl, t);
  const r = readDeclaration(decl, prop);
  if (r === UNSURE) return `${prop} cannot be read`;
  if (r.words.some((w) => WIDE_KEYWORDS.has(w)) && r.nodes.length === 1) return null;
  if (LAYOUT_PROPERTIES.has(prop)) {
    applyLayout(r, t);
    return null;
  }
  if (TEXT_PROPERTIES.has(prop)) return applyText(r, t, parent);
  return applyHiding(r, t, t.fontPx ?? parent.fontPx);
}

function applyHiding(r: Reading, t: Tally, fontPx: number | Unsure): string | null {
  const { prop, nodes, words, only } = r;
  switch (prop) {
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
    default:
      break;
  }
  if (NONE_OR_HIDDEN.has(prop)) return only('none') ? null : prop;
  if (BOXES.has(prop)) {
    applyBox(r, t, fontPx);
    return null;
  }
  if (OFFSETS.has(prop)) return applyOffset(r, t, fontPx);
  return null; // rotate: judged as layout only
}

/** A height, width or line-height: tiny (text cut off with overflow hidden) or a set size. */
function applyBox({ prop, nodes, words }: Reading, t: Tally, fontPx: number | Unsure): void {
  if (words.length === 1 && nodes.length === 1) return; // auto, none, normal, fit-content ...
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
}

/** An offset, inset, margin or text-indent: off-screen hides; a negative margin or a non-zero offset is layout. */
function applyOffset({ prop, nodes }: Reading, t: Tally, fontPx: number | Unsure): string | null {
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
  return null;
}

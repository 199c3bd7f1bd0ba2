/**
 * Declarations that may move, cover or reorder content: positioning, stacking, animations, flex
 * order and direction, transforms. Pure. Where one text ends up over or out of another cannot be
 * known without laying the page out, so any of these makes the whole HTML read as showing nothing
 * (visible-text.ts); offsets and negative margins are judged with the other boxes (hiding.ts).
 */
import type * as csstree from 'css-tree';
import type { Declaration } from 'css-tree';
import { isNone, type Reading } from './declaration';
import type { Tally } from './tally';

/** Properties that move an element over others (or others over it): judged as layout, never as hiding alone. */
export const MOVES = new Set(['transform', 'translate', 'scale', 'rotate']);

/** The properties `applyLayout` reads. */
export const LAYOUT_PROPERTIES = new Set([
  'position',
  'z-index',
  'animation',
  'animation-name',
  'order',
  'flex-direction',
  'flex-flow',
]);

/**
 * A transform of any kind other than "none", read before its value is: a function we do not
 * compute still moves the element.
 */
export function noteMove(prop: string, decl: Declaration, t: Tally): void {
  if (MOVES.has(prop) && !isNone(decl)) t.layout = t.layout ?? prop;
}

function isNumber(r: Reading, test: (v: number) => boolean): boolean {
  return (
    r.nodes.length === 1 && r.nodes[0]!.type === 'Number' && test(Number((r.nodes[0] as csstree.NumberNode).value))
  );
}

/** One positioning, stacking, animation or flex declaration's effect on the tally. */
export function applyLayout(r: Reading, t: Tally): void {
  const { prop, words, only } = r;
  switch (prop) {
    case 'position':
      if (!only('static') && !only('relative')) t.layout = t.layout ?? `position:${words.join(' ')}`;
      return;
    case 'z-index':
      if (!only('auto') && !isNumber(r, (v) => v >= 0)) t.layout = t.layout ?? 'z-index';
      return;
    case 'animation':
    case 'animation-name':
      if (!only('none')) t.layout = t.layout ?? prop;
      return;
    case 'order':
      if (!isNumber(r, (v) => v === 0)) t.layout = t.layout ?? 'order';
      return;
    case 'flex-direction':
    case 'flex-flow':
      if (words.some((w) => w.endsWith('-reverse'))) t.layout = t.layout ?? `${prop}:${words.join(' ')}`;
      return;
    default:
      return;
  }
}

/**
 * Whether CSS hides an element or its text from a reader. Pure. Fails closed: a style that cannot
 * be read with certainty hides, and any one declaration that hides is enough, whatever comes after
 * it (a later "display:block" may be invalid to a browser, and the cascade between a style sheet
 * and an inline style is not worth betting a moderator command on).
 */
import { applyDeclaration } from './hiding';
import type { Block } from './parse';
import { emptyTally, type Inherited } from './tally';
import { textHidden } from './text';
import { readLegacyColor } from './values';

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

/** What the blocks that apply to one element (style sheet rules, then its style attribute) do to it. */
export function evaluateStyle(blocks: readonly Block[], parent: Inherited, legacy: LegacyColors = {}): ElementStyle {
  const t = emptyTally();
  const legacyColor = legacy.color !== undefined ? readLegacyColor(legacy.color) : null;
  const legacyBackground = legacy.background !== undefined ? readLegacyColor(legacy.background) : null;
  if (legacyColor) t.colors = [legacyColor];
  if (legacyBackground && legacyBackground.a >= 0.5) t.backgrounds = [legacyBackground];
  for (const block of blocks) {
    if (block.unreadable) t.hidden = t.hidden ?? 'a style that cannot be read';
    for (const decl of block.decls) {
      const why = applyDeclaration(decl, t, parent);
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

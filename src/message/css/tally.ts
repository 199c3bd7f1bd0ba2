/**
 * What the declarations applying to one element add up to, as they are read one by one, and what
 * an element hands down to its children. Pure.
 */
import { BLACK, ROOT_FONT_PX, UNSURE, WHITE, type Rgba, type Unsure } from './values';

/** What an element hands down to its children. */
export interface Inherited {
  fontPx: number | Unsure;
  /** The text colours that may apply (one per source that set one); UNSURE when one could not be read. */
  colors: Rgba[] | Unsure;
  /** The background behind the element: the nearest one set on it or an ancestor. */
  backgrounds: Rgba[] | Unsure;
}

export const ROOT: Inherited = { fontPx: ROOT_FONT_PX, colors: [BLACK], backgrounds: [WHITE] };

/** Below this opacity (of the element or of its text colour) a reader cannot see text. */
export const MIN_OPACITY = 0.2;

export interface Tally {
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

export function emptyTally(): Tally {
  return {
    hidden: null,
    layout: null,
    overflowHidden: false,
    tinyBox: null,
    sizedBox: null,
    fontPx: null,
    colors: null,
    backgrounds: null,
  };
}

/** Colours from one more source; once one could not be read, none can be trusted. */
export function addColors(current: Rgba[] | Unsure | null, more: Rgba[] | Unsure): Rgba[] | Unsure {
  if (current === UNSURE || more === UNSURE) return UNSURE;
  return [...(current ?? []), ...more];
}

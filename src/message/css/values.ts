/**
 * Reading the few CSS values that decide whether text can be seen: lengths, colours, opacity.
 * Pure. Every reader answers a number, null ("no information": the property does not change the
 * answer) or UNSURE ("cannot be read with certainty"), which callers treat as hidden.
 */
import type { CssNode, Declaration } from 'css-tree';
import colorNames from 'color-name';

export const UNSURE = Symbol('unsure');
export type Unsure = typeof UNSURE;

/** Red, green, blue 0..255 and alpha 0..1. */
export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

export const WHITE: Rgba = { r: 255, g: 255, b: 255, a: 1 };
export const BLACK: Rgba = { r: 0, g: 0, b: 0, a: 1 };

/** CSS pixels per unit for absolute lengths. */
const ABSOLUTE: Record<string, number> = {
  px: 1,
  pt: 96 / 72,
  pc: 16,
  in: 96,
  cm: 96 / 2.54,
  mm: 96 / 25.4,
  q: 96 / 101.6,
};
/** The root font size browsers start from. */
export const ROOT_FONT_PX = 16;

/** The nodes of a declaration's value; UNSURE when the parser could not read the value (a Raw value). */
export function valueNodes(decl: Declaration): CssNode[] | Unsure {
  if (decl.value.type !== 'Value') return UNSURE;
  return decl.value.children.toArray();
}

/** A function whose result we do not compute (var(), calc(), env(), attr(), expression(), ...). */
export function isOpaqueFunction(node: CssNode): boolean {
  return node.type === 'Function' && !['rgb', 'rgba', 'hsl', 'hsla', 'rect'].includes(node.name.toLowerCase());
}

/**
 * A length in CSS pixels. `percentOf` is what 100% is (null: unknown, then only 0% is read).
 * Unitless numbers count as pixels (quirks mode, which mail without a doctype renders in).
 */
export function lengthPx(node: CssNode, fontPx: number, percentOf: number | null): number | Unsure {
  if (node.type === 'Number') return Number(node.value);
  if (node.type === 'Percentage') {
    const v = Number(node.value);
    if (percentOf !== null) return (v * percentOf) / 100;
    return v === 0 ? 0 : UNSURE;
  }
  if (node.type !== 'Dimension') return UNSURE;
  const v = Number(node.value);
  const unit = node.unit.toLowerCase();
  if (v === 0) return 0;
  if (unit in ABSOLUTE) return v * ABSOLUTE[unit]!;
  if (unit === 'em') return v * fontPx;
  if (unit === 'rem') return v * ROOT_FONT_PX;
  if (unit === 'ex' || unit === 'ch') return (v * fontPx) / 2;
  return UNSURE; // viewport and container units, and anything unknown
}

/** opacity: a number or a percentage. */
export function fraction(node: CssNode): number | Unsure {
  if (node.type === 'Number') return Number(node.value);
  if (node.type === 'Percentage') return Number(node.value) / 100;
  return UNSURE;
}

function hex(text: string): Rgba | Unsure {
  if (!/^[0-9a-f]+$/i.test(text) || ![3, 4, 6, 8].includes(text.length)) return UNSURE;
  const short = text.length <= 4;
  const parts = short
    ? [...text].map((c) => parseInt(c + c, 16))
    : (text.match(/../g) ?? []).map((p) => parseInt(p, 16));
  return { r: parts[0]!, g: parts[1]!, b: parts[2]!, a: parts[3] === undefined ? 1 : parts[3] / 255 };
}

function clamp(v: number, max: number): number {
  return Math.min(max, Math.max(0, v));
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number): number => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
  return [f(0) * 255, f(8) * 255, f(4) * 255];
}

function colorFunction(name: string, args: CssNode[]): Rgba | Unsure {
  const values = args.filter((n) => !(n.type === 'Operator' && (n.value === ',' || n.value === '/')));
  if (values.length < 3 || values.length > 4) return UNSURE;
  const nums: number[] = [];
  for (const [i, n] of values.entries()) {
    if (n.type === 'Number') nums.push(Number(n.value));
    else if (n.type === 'Percentage')
      nums.push(
        i === 3
          ? Number(n.value) / 100
          : name.startsWith('rgb')
            ? (Number(n.value) * 255) / 100
            : Number(n.value) / 100,
      );
    else if (n.type === 'Dimension' && i === 0 && name.startsWith('hsl') && n.unit.toLowerCase() === 'deg')
      nums.push(Number(n.value));
    else return UNSURE;
  }
  if (nums.some((v) => !Number.isFinite(v))) return UNSURE;
  const a = clamp(nums[3] ?? 1, 1);
  if (name.startsWith('rgb')) return { r: clamp(nums[0]!, 255), g: clamp(nums[1]!, 255), b: clamp(nums[2]!, 255), a };
  const s = values[1]!.type === 'Percentage' ? nums[1]! : nums[1]! / 100;
  const l = values[2]!.type === 'Percentage' ? nums[2]! : nums[2]! / 100;
  const [r, g, b] = hslToRgb(((nums[0]! % 360) + 360) % 360, clamp(s, 1), clamp(l, 1));
  return { r, g, b, a };
}

/**
 * A colour value. Null for keywords that keep or name no colour of their own (currentcolor,
 * inherit, system colours such as Outlook's "windowtext"); UNSURE for what cannot be computed.
 */
export function readColor(node: CssNode): Rgba | null | Unsure {
  if (node.type === 'Hash') return hex(node.value);
  if (node.type === 'Identifier') {
    const name = node.name.toLowerCase();
    if (name === 'transparent') return { r: 0, g: 0, b: 0, a: 0 };
    const rgb = (colorNames as Record<string, [number, number, number]>)[name];
    return rgb ? { r: rgb[0], g: rgb[1], b: rgb[2], a: 1 } : null;
  }
  if (node.type === 'Function') {
    const name = node.name.toLowerCase();
    if (['rgb', 'rgba', 'hsl', 'hsla'].includes(name)) return colorFunction(name, node.children.toArray());
  }
  return UNSURE;
}

/** A legacy colour attribute (bgcolor, <font color>, <body text>): "#fff", "fff", "white"; null when unread. */
export function readLegacyColor(value: string): Rgba | null {
  const v = value.trim().toLowerCase();
  const named = (colorNames as Record<string, [number, number, number]>)[v];
  if (named) return { r: named[0], g: named[1], b: named[2], a: 1 };
  const h = hex(v.replace(/^#/, ''));
  return h === UNSURE ? null : h;
}

function luminance({ r, g, b }: Rgba): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio, 1 (none) to 21 (black on white), of a text colour drawn over a background. */
export function contrast(text: Rgba, background: Rgba): number {
  const over = {
    r: text.r * text.a + background.r * (1 - text.a),
    g: text.g * text.a + background.g * (1 - text.a),
    b: text.b * text.a + background.b * (1 - text.a),
    a: 1,
  };
  const [hi, lo] = [luminance(over), luminance(background)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

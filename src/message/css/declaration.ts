/**
 * Reading one CSS declaration as a browser would: its property name with escapes decoded and the
 * vendor prefix dropped, its keywords, and whether its value calls a function we do not compute.
 * Pure.
 */
import * as csstree from 'css-tree';
import type { CssNode, Declaration } from 'css-tree';
import { isOpaqueFunction, UNSURE, valueNodes } from './values';

/** Keywords that hand the decision to the cascade: alone, they change nothing we judge. */
export const WIDE_KEYWORDS = new Set(['inherit', 'initial', 'unset', 'revert', 'revert-layer']);

/** Gradients a `background` may draw without being unreadable (its colours are then unknown). */
const BACKGROUND_FUNCTIONS = [
  'linear-gradient',
  'radial-gradient',
  'conic-gradient',
  'repeating-linear-gradient',
  'repeating-radial-gradient',
];

/** A declaration whose value could be read: its property, value nodes and keywords (lower case). */
export interface Reading {
  prop: string;
  nodes: CssNode[];
  words: string[];
  /** Whether the whole value is this one keyword. */
  only: (word: string) => boolean;
}

/** Property name as a browser matches it: escapes decoded, lower case, vendor prefix dropped. */
export function propertyName(decl: Declaration): string {
  return csstree.ident
    .decode(decl.property)
    .toLowerCase()
    .replace(/^-(?:webkit|moz|ms|o)-/, '');
}

/** A keyword node's name as a browser matches it: escapes decoded, lower case. */
export function keyword(node: csstree.Identifier): string {
  return csstree.ident.decode(node.name).toLowerCase();
}

function identifiers(nodes: CssNode[]): string[] {
  return nodes.filter((n): n is csstree.Identifier => n.type === 'Identifier').map(keyword);
}

function hasOpaqueFunction(decl: Declaration, allowed: readonly string[]): boolean {
  let found = false;
  csstree.walk(decl.value, {
    visit: 'Function',
    enter(n) {
      if (isOpaqueFunction(n) && !allowed.includes(n.name.toLowerCase())) found = true;
    },
  });
  return found;
}

/** Whether the value is exactly the keyword "none". */
export function isNone(decl: Declaration): boolean {
  return (
    decl.value.type === 'Value' &&
    decl.value.children.size === 1 &&
    decl.value.children.first?.type === 'Identifier' &&
    keyword(decl.value.children.first as csstree.Identifier) === 'none'
  );
}

/** The declaration's value read for `prop`; UNSURE when the parser could not read it or it calls a function we do not compute. */
export function readDeclaration(decl: Declaration, prop: string): Reading | typeof UNSURE {
  const nodes = valueNodes(decl);
  const allowed = prop === 'background' ? BACKGROUND_FUNCTIONS : [];
  if (nodes === UNSURE || hasOpaqueFunction(decl, allowed)) return UNSURE;
  const words = identifiers(nodes);
  const only = (word: string): boolean => words.length === 1 && nodes.length === 1 && words[0] === word;
  return { prop, nodes, words, only };
}

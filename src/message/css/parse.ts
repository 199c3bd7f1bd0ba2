/**
 * Parsing a style attribute or a <style> sheet with css-tree into the declaration blocks that
 * evaluate.ts judges. Pure. Whatever css-tree could not parse marks its block or sheet unreadable.
 */
import * as csstree from 'css-tree';
import type { CssNode, Declaration } from 'css-tree';

/** Declarations from one style attribute or one style sheet rule; `unreadable` when part of it could not be parsed. */
export interface Block {
  decls: Declaration[];
  unreadable: boolean;
}

export interface StyleRule {
  selector: csstree.SelectorList | csstree.Raw;
  block: Block;
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

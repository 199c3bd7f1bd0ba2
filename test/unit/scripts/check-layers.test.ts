import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { folderCycles, importsOf, layerViolations, type Import } from '../../../scripts/check-layers';

const imp = (from: string, to: string, typeOnly = false): Import => ({ from, to, typeOnly });

describe('scripts/check-layers', () => {
  it('passes on the tree as it is', () => {
    const root = path.join(__dirname, '..', '..', '..', 'src');
    const walk = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) =>
          e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
        );
    const imports = walk(root).flatMap((f) => importsOf(f, root));
    assert.ok(imports.length > 300, 'it read the imports');
    assert.deepEqual([...layerViolations(imports), ...folderCycles(imports)], []);
  });

  it('finds each arrow up the stages that the first build had', () => {
    const found = layerViolations([
      imp('message/tokens.ts', 'store/tokens.ts'),
      imp('rules/replies.ts', 'store/tokens.ts'),
      imp('policy/command-auth.ts', 'commands/reusable.ts'),
      imp('chains/inbound.ts', 'actions/hold.ts', true),
    ]);
    assert.equal(found.length, 4);
    assert.ok(found.every((f) => f.startsWith('LAYER_VIOLATION ')));
  });

  it('allows a pure folder a row type from store/, but not a store function', () => {
    assert.deepEqual(layerViolations([imp('rules/types.ts', 'store/disclosures.ts', true)]), []);
    assert.equal(layerViolations([imp('rules/types.ts', 'store/disclosures.ts')]).length, 1);
  });

  it('finds a cycle between folders, direct or through others, but not one made of types only', () => {
    assert.match(
      folderCycles([imp('actions/a.ts', 'commands/b.ts'), imp('commands/b.ts', 'actions/c.ts')])[0]!,
      /^FOLDER_CYCLE actions -> commands -> actions/,
    );
    assert.equal(
      folderCycles([
        imp('admin/a.ts', 'runners/b.ts'),
        imp('runners/b.ts', 'store/c.ts'),
        imp('store/c.ts', 'admin/d.ts'),
      ]).length,
      1,
    );
    assert.deepEqual(folderCycles([imp('policy/a.ts', 'store/b.ts', true), imp('store/b.ts', 'policy/c.ts')]), []);
    assert.deepEqual(folderCycles([imp('runners/a.ts', 'actions/b.ts'), imp('actions/b.ts', 'store/c.ts')]), []);
  });

  it('reads imports with the TypeScript parser: type-only ones marked, re-exports counted, strings and comments ignored', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
    fs.mkdirSync(path.join(dir, 'rules'));
    fs.mkdirSync(path.join(dir, 'store'));
    for (const f of ['store/a.ts', 'store/b.ts', 'store/c.ts'])
      fs.writeFileSync(path.join(dir, f), 'export const x = 1;\n');
    fs.writeFileSync(
      path.join(dir, 'rules/r.ts'),
      [
        "import type { X } from '../store/a';",
        "import { type Y } from '../store/b';",
        "export { x } from '../store/c';",
        "// import { z } from '../store/a';",
        'const s = "import { q } from \'../store/b\'";',
        "import fs from 'node:fs';",
      ].join('\n'),
    );
    try {
      assert.deepEqual(importsOf(path.join(dir, 'rules/r.ts'), dir), [
        imp(path.join('rules', 'r.ts'), path.join('store', 'a.ts'), true),
        imp(path.join('rules', 'r.ts'), path.join('store', 'b.ts'), true),
        imp(path.join('rules', 'r.ts'), path.join('store', 'c.ts'), false),
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDocs } from '../scripts/props-docs';
import { gaiopsRoot } from '../src/core/bundling/package-root';

describe('docs', () => {
  it('props tables in the READMEs match the schemas (run `npm run docs` to update)', () => {
    const root = gaiopsRoot();
    for (const [file, expected] of renderDocs(root)) {
      expect(readFileSync(join(root, file), 'utf8'), file).toBe(expected);
    }
  });

  it('documents the defaults the code applies', () => {
    const core = readFileSync(join(gaiopsRoot(), 'src/core/README.md'), 'utf8');
    expect(core).toMatch(/\| `memorySize` \| integer \| no \| `512` \|/);
    expect(core).toMatch(/\| `timeoutSeconds` \| integer \| no \| `30` \|/);
    expect(core).toMatch(/\| `keepImages` \| integer \| no \| `20` \|/);
    expect(core).toMatch(/\| `dataClassification` \| .* \| no \| `"confidential"` \|/);
  });

  it('the README shows the same access matrix as src/platform/README.md (which the TeamAccess test asserts)', () => {
    const block = (file: string) => {
      const text = readFileSync(join(gaiopsRoot(), file), 'utf8');
      return text.slice(text.indexOf('<!-- access-matrix:start -->'), text.indexOf('<!-- access-matrix:end -->'));
    };
    expect(block('README.md')).toContain('| `data-scientist` |');
    expect(block('README.md')).toBe(block('src/platform/README.md'));
  });
});

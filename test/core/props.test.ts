import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Construct } from 'constructs';
import { GaiConfigError, formatFieldPath, parseProps } from '../../src';
import { Fn, Token } from '../../src/core/tf';
import { platformStack } from '../support/synth';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';

const Schema = z.strictObject({
  name: z.string().regex(/^[a-z]+$/),
  size: z.number().int().min(1).max(10).default(5),
  items: z.array(z.strictObject({ id: z.string().min(3) })).default([]),
  mode: z.enum(['a', 'b']).default('a'),
  subnets: z.array(z.string()).min(1).optional(),
});

describe('parseProps', () => {
  it('applies the schema defaults', () => {
    expect(parseProps('x', Schema, { name: 'abc' })).toEqual({ name: 'abc', size: 5, items: [], mode: 'a' });
  });

  it('reports every problem at once as <construct path>: <field path>: <message>', () => {
    const stack = platformStack();
    const scope = new Construct(stack, 'Thing');
    let error: unknown;
    try {
      parseProps(scope, Schema, { name: 'ABC', size: 11, items: [{ id: 'ok!' }, { id: 'x' }], mode: 'c', extra: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GaiConfigError);
    const e = error as GaiConfigError;
    expect(e.code).toBe('gaiops:config:invalid');
    expect(e.problems.map((p) => p.fieldPath).sort()).toEqual(['<props>', 'items[1].id', 'mode', 'name', 'size']);
    expect(e.message).toContain('teststack/Thing: name: ');
    expect(e.message).toContain('teststack/Thing: items[1].id: ');
    expect(e.message).toContain('teststack/Thing: <props>: Unrecognized key: "extra"');
    expect(e.message).toMatch(/5 problems/);
  });

  it('accepts unresolved tokens where the check cannot be done at synth, and still applies defaults', () => {
    const stack = platformStack();
    const bucket = new S3Bucket(stack, 'B', { bucket: 'b' });
    const nameToken = bucket.bucket; // a string token: fails the regex if checked
    const sizeToken = bucket.getNumberAttribute('some_count'); // a number token
    const listToken = Fn.split(',', bucket.bucket); // a list token
    const out = parseProps(stack, Schema, { name: nameToken, size: sizeToken, subnets: listToken });
    expect(out.name).toBe(nameToken);
    expect(out.size).toBe(sizeToken);
    // zod copies arrays; a copy of a list token is still the same token.
    expect(out.subnets).toEqual(listToken);
    expect(Token.isUnresolved(out.subnets)).toBe(true);
    expect(out.items).toEqual([]);
    expect(out.mode).toBe('a');
  });

  it('still reports real problems next to tokens', () => {
    const stack = platformStack();
    const bucket = new S3Bucket(stack, 'B', { bucket: 'b' });
    expect(() => parseProps(stack, Schema, { name: bucket.bucket, size: 0 })).toThrow(/teststack: size: /);
  });

  it('formats field paths', () => {
    expect(formatFieldPath([])).toBe('<props>');
    expect(formatFieldPath(['a', 0, 'b', 12])).toBe('a[0].b[12]');
  });
});

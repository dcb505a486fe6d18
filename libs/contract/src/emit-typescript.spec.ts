import { emitTypeScript } from './emit-typescript';

describe('emitTypeScript (components.schemas → a self-contained types file)', () => {
  const header = '// generated';

  it('writes references, nullable unions, enums, closed and open objects, and only what the roots need', () => {
    const components = {
      Status: { type: 'string', enum: ['a', 'b'] },
      Unused: { type: 'boolean' },
      Thing: {
        type: 'object',
        description: 'A thing.',
        properties: { status: { $ref: '#/components/schemas/Status' }, note: { type: ['string', 'null'] }, tags: { type: 'array', items: { type: 'string' } }, n: { type: 'integer', minimum: 0 } },
        required: ['status', 'note'],
        additionalProperties: false,
      },
      Open: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'], additionalProperties: {} },
    };
    expect(emitTypeScript(components, { roots: ['Thing', 'Open'], header })).toBe(
      `// generated

export type Status = "a" | "b";

/** A thing. */
export type Thing = {
  status: Status;
  note: string | null;
  tags?: string[];
  n?: number;
};

export type Open = {
  code: string;
  [key: string]: unknown;
};
`,
    );
  });

  it('refuses a keyword it does not know rather than emit a type that lies', () => {
    expect(() => emitTypeScript({ Odd: { type: 'object', patternProperties: { '^x': { type: 'string' } } } }, { header })).toThrow('patternProperties');
    expect(() => emitTypeScript({ Far: { $ref: 'https://example.com/schema' } }, { header })).toThrow('only local component references');
    expect(() => emitTypeScript({ A: { $ref: '#/components/schemas/Missing' } }, { roots: ['A'], header })).toThrow('no component schema named Missing');
  });
});

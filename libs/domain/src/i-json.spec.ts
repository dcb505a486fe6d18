import { IJsonError, parseIJson, type IJsonErrorReason } from './i-json';

function rejection(text: string, maxDepth?: number): IJsonError {
  try {
    parseIJson(text, maxDepth === undefined ? undefined : { maxDepth });
  } catch (error) {
    if (error instanceof IJsonError) return error;
    throw error;
  }
  throw new Error(`expected ${text} to be rejected`);
}

function expectRejected(text: string, reason: IJsonErrorReason, pointer: string, maxDepth?: number): IJsonError {
  const error = rejection(text, maxDepth);
  expect({ reason: error.reason, pointer: error.pointer, code: error.code }).toEqual({ reason, pointer, code: 'invalid_json' });
  return error;
}

describe('parseIJson', () => {
  it('parses a valid nested document like JSON.parse', () => {
    const text =
      '{"action":{"type":"payments.transfer","args":{"amount":12.5,"to":["a","b"],"memo":"caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t","ok":true,"no":false,"none":null,"n":-0.5e-3,"big":9007199254740991,"neg":-9007199254740991}},"empty":{},"list":[]}';
    expect(parseIJson(text)).toEqual(JSON.parse(text));
  });

  it('accepts whitespace around tokens and any top-level value', () => {
    expect(parseIJson(' \t\r\n[ 1 , { "a" : [ ] } ] \n')).toEqual([1, { a: [] }]);
    expect(parseIJson('"x"')).toBe('x');
    expect(parseIJson('42')).toBe(42);
    expect(parseIJson('null')).toBeNull();
  });

  it('refuses a "__proto__" key anywhere, naming it, and never touches the prototype', () => {
    const error = expectRejected('{"action":{"args":{"__proto__":{"polluted":true},"a":1}}}', 'reserved_key', '/action/args/__proto__');
    expect(error.message).toMatch(/__proto__/);
    expectRejected('[{"a":1},{"__proto__":1}]', 'reserved_key', '/1/__proto__');
    expectRejected('{"\\u005f_proto__":1}', 'reserved_key', '/__proto__');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    // Only the exact key: look-alikes are ordinary data.
    expect(parseIJson('{"__proto":1,"proto":2,"__PROTO__":3}')).toEqual({ __proto: 1, proto: 2, __PROTO__: 3 });
  });

  it('refuses U+0000 in a string value or a key, escaped, with the pointer; a raw one is a syntax error', () => {
    const value = expectRejected('{"action":{"args":{"note":"a\\u0000b"}}}', 'nul_character', '/action/args/note');
    expect(value.message).toMatch(/U\+0000/);
    expectRejected('{"reason":"\\u0000"}', 'nul_character', '/reason');
    expectRejected('{"args":{"list":["ok","x\\u0000"]}}', 'nul_character', '/args/list/1');
    expectRejected('{"args":{"k\\u0000ey":1}}', 'nul_character', '/args/k\u0000ey');
    expectRejected('"\\u0000"', 'nul_character', '');
    expect(rejection('{"a":"x\u0000"}').reason).toBe('syntax');
    // Other control characters are data, escaped as JSON requires.
    expect(parseIJson('{"a":"\\u0001\\t\\n\\u001f\\u007f"}')).toEqual({ a: '\u0001\t\n\u001f\u007f' });
  });

  it('rejects a duplicate key with the pointer of the key and a readable message', () => {
    const error = expectRejected('{"action":{"args":{"amount":1,"amount":1000}}}', 'duplicate_key', '/action/args/amount');
    expect(error.message).toBe('duplicate key "amount" at /action/args');
  });

  it('rejects integer literals beyond 2^53-1 but allows them with a fraction or exponent', () => {
    expectRejected('{"a":[1,9007199254740992]}', 'integer_out_of_range', '/a/1');
    expectRejected('{"a":-9007199254740993}', 'integer_out_of_range', '/a');
    expectRejected('12345678901234567890', 'integer_out_of_range', '');
    expect(parseIJson('[9007199254740992.0, 1e20]')).toEqual([9007199254740992, 1e20]);
  });

  it('rejects numbers that overflow a double', () => {
    expectRejected('{"x":{"y":1e400}}', 'non_finite_number', '/x/y');
    expectRejected('[-1.5E+999]', 'non_finite_number', '/0');
  });

  it('rejects escaped lone surrogates in values and keys', () => {
    expectRejected('{"memo":"\\ud800"}', 'lone_surrogate', '/memo');
    expectRejected('{"memo":"\\ud800x"}', 'lone_surrogate', '/memo');
    expectRejected('{"memo":["ok","\\udc00\\ud800"]}', 'lone_surrogate', '/memo/1');
    expectRejected('{"a":{"\\udfff":1}}', 'lone_surrogate', '/a/\udfff');
  });

  it('rejects raw lone surrogates in the text', () => {
    expectRejected('["\ud83d"]', 'lone_surrogate', '/0');
  });

  it('rejects nesting deeper than maxDepth, counting the top-level container as depth 1', () => {
    expect(parseIJson('{"a":{"b":[1]}}', { maxDepth: 3 })).toEqual({ a: { b: [1] } });
    expectRejected('{"a":{"b":[1]}}', 'too_deep', '/a/b', 2);
    expect(parseIJson('['.repeat(32) + ']'.repeat(32))).toBeDefined();
    expectRejected('['.repeat(33) + ']'.repeat(33), 'too_deep', '/0'.repeat(32));
  });

  it.each([
    ['', 0, ''],
    ['{', 1, ''],
    ['{"a" 1}', 5, '/a'],
    ['{"a":1,}', 7, ''],
    ['[1,]', 3, '/1'],
    ['[1 2]', 3, ''],
    ['01', 1, ''],
    ['-01', 2, ''],
    ['1.', 2, ''],
    ['-', 1, ''],
    ['1e', 2, ''],
    ['+1', 0, ''],
    ['"a', 2, ''],
    ['"\\x"', 1, ''],
    ['"\\u12g4"', 1, ''],
    ['"tab\there"', 4, ''],
    ["{'a':1}", 1, ''],
    ['tru', 0, ''],
    ['NaN', 0, ''],
    ['{} {}', 3, ''],
    ['\ufeff{}', 0, ''],
  ])('rejects %j as a syntax error at position %i (pointer %j)', (text, position, pointer) => {
    const error = expectRejected(text, 'syntax', pointer);
    expect(error.position).toBe(position);
  });

  it('reports where inside the document a syntax error is', () => {
    expectRejected('{"action":{"args":{"amount":01}}}', 'syntax', '/action/args/amount');
  });
});

import { dns1123Problem, functionNameProblem, parseFunctionRef } from './names.js';

describe('dns1123Problem', () => {
  it.each(['a', 'echo', 'word-count', 'a1', '0abc'])('accepts %j', (name) => {
    expect(dns1123Problem(name)).toBeUndefined();
  });
  it.each([
    ['', /empty/],
    ['Echo', /DNS-1123/],
    ['-echo', /DNS-1123/],
    ['echo-', /DNS-1123/],
    ['ec_ho', /DNS-1123/],
    ['a'.repeat(64), /at most 63/],
  ])('rejects %j', (name, problem) => {
    expect(dns1123Problem(name)).toMatch(problem);
  });
});

describe('parseFunctionRef', () => {
  it.each([
    ['echo', { name: 'echo', namespace: undefined }],
    ['echo.dev', { name: 'echo', namespace: 'dev' }],
    ['a.b.c', { name: 'a.b', namespace: 'c' }],
  ])('parses %j', (segment, ref) => {
    expect(parseFunctionRef(segment)).toEqual(ref);
  });
});

describe('functionNameProblem', () => {
  it('accepts DNS-1035 labels', () => {
    expect(functionNameProblem('echo-2')).toBeUndefined();
  });
  it.each([
    ['2fast', /start with a lower-case letter/],
    ['Echo', /DNS-1123/],
  ])('rejects %j', (name, problem) => {
    expect(functionNameProblem(name)).toMatch(problem);
  });
});

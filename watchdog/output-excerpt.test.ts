import { OutputExcerpt } from './output-excerpt.js';

describe('OutputExcerpt', () => {
  it('keeps short output whole', () => {
    const excerpt = new OutputExcerpt();
    excerpt.add('boom: ');
    excerpt.add('bad input\n');
    expect(excerpt.toString()).toBe('boom: bad input');
  });

  it('keeps the start and the end of long output', () => {
    const excerpt = new OutputExcerpt();
    excerpt.add(`FIRST${'a'.repeat(2000)}`);
    excerpt.add(`${'b'.repeat(2000)}LAST`);
    const text = excerpt.toString();
    expect(text.startsWith('FIRST')).toBe(true);
    expect(text.endsWith('LAST')).toBe(true);
    expect(text).toContain('…');
    expect(text.length).toBeLessThan(1100);
  });
});

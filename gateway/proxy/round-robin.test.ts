import { RoundRobin } from './round-robin.js';

describe('RoundRobin', () => {
  it('cycles through the endpoints of each function independently', () => {
    const rr = new RoundRobin();
    const picks = Array.from({ length: 6 }, () => rr.pick('a', ['x', 'y', 'z']));
    expect(picks).toEqual(['x', 'y', 'z', 'x', 'y', 'z']);
    expect(rr.pick('b', ['p', 'q'])).toBe('p');
  });

  it('keeps spreading when the endpoint set changes', () => {
    const rr = new RoundRobin();
    rr.pick('a', ['x', 'y']);
    expect(rr.pick('a', ['x', 'y', 'z'])).toBe('y');
    expect(rr.pick('a', ['only'])).toBe('only');
  });
});

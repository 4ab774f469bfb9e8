import { MinHeap } from './min-heap.js';

describe('MinHeap', () => {
  it('pops by priority, ties in insertion order', () => {
    const heap = new MinHeap<string>();
    for (const [p, v] of [[5, 'e'], [1, 'a'], [3, 'c1'], [3, 'c2'], [2, 'b'], [9, 'z']] as const) heap.push(p, v);
    expect(heap.peekPriority()).toBe(1);
    const out: string[] = [];
    while (heap.size > 0) out.push(heap.pop() as string);
    expect(out).toEqual(['a', 'b', 'c1', 'c2', 'e', 'z']);
    expect(heap.pop()).toBeUndefined();
    expect(heap.peekPriority()).toBeUndefined();
  });

  it('filters entries out and keeps the order of the rest', () => {
    const heap = new MinHeap<number>();
    for (let i = 20; i > 0; i -= 1) heap.push(i, i);
    expect(heap.filter((v) => v % 2 === 0).sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    const out: number[] = [];
    while (heap.size > 0) out.push(heap.pop() as number);
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  });
});

/** A bounded excerpt of a process's stderr for error responses: its start and its end, never all of it. */

const HALF = 512;

/** Keeps the first and last 512 characters of everything added. */
export class OutputExcerpt {
  private head = '';
  private tail = '';
  private total = 0;

  /** Adds a chunk of text. */
  add(text: string): void {
    this.total += text.length;
    if (this.head.length < HALF) {
      const take = HALF - this.head.length;
      this.head += text.slice(0, take);
      text = text.slice(take);
    }
    if (text !== '') this.tail = (this.tail + text).slice(-HALF);
  }

  /** The excerpt, trimmed, with an ellipsis marking any omitted middle. */
  toString(): string {
    const omitted = this.total - this.head.length - this.tail.length;
    return (omitted > 0 ? `${this.head}\n…\n${this.tail}` : this.head + this.tail).trim();
  }
}

#!/usr/bin/env node
// Answers with a small binary PNG (a 1x1 pixel), to show that bodies are binary-safe end to end.
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
process.stdin.resume();
process.stdin.on('end', () => process.stdout.write(png));

// The benchmarks' command line: name=value pairs, the value kept whole (hash=width=24&imageSize=16
// holds '=').
export function benchArgs(argv = process.argv.slice(2)): Record<string, string> {
  return Object.fromEntries(argv.map((a) => (a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, ''])));
}

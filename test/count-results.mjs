// Prints one line "N passed, N failed" over every test that ran: the unit tests (Vitest's JSON
// report) and the browser tests (Playwright's). A suite that did not run counts as nothing run.
import { existsSync, readFileSync } from 'node:fs';

const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null);
let passed = 0;
let failed = 0;
const unit = read('test-results/unit.json');
if (unit) {
  passed += unit.numPassedTests;
  failed += unit.numFailedTests;
}
const e2e = read('test-results/e2e.json');
if (e2e) {
  passed += e2e.stats.expected + e2e.stats.flaky;
  failed += e2e.stats.unexpected;
  for (const err of e2e.errors ?? []) console.log(`browser suite error: ${err.message}`), failed++;
}
console.log(`unit: ${unit ? 'ran' : 'did not run'}; browser: ${e2e ? 'ran' : 'did not run'}`);
console.log(`${passed} passed, ${failed} failed`);

// Prints one plain closing line ("tests: N passed, N failed") when the run completes, that any CI
// log reader understands.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const counts = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed`;
    const line = skipped > 0 ? `${counts}, ${skipped} skipped` : counts;
    // NOTE: written now, not on exit: `--forceExit` ends the process without waiting for later output.
    process.stderr.write(`${line}\n`);
  }
}
module.exports = SummaryReporter;

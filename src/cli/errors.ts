/** An error that the CLI prints as one line before exiting non-zero. */
export class CliError extends Error {
  override name = 'CliError';
}

import { Logger, type LoggerService } from '@nestjs/common';

/** Collects the warnings Nest loggers print while a test runs (everything else is dropped) until `restore()`. */
export function captureWarnings(): { warnings: string[]; restore(): void } {
  const warnings: string[] = [];
  const quiet = (): void => undefined;
  const logger: LoggerService = { log: quiet, error: quiet, debug: quiet, verbose: quiet, warn: (message: unknown) => void warnings.push(String(message)) };
  Logger.overrideLogger(logger);
  return { warnings, restore: () => Logger.overrideLogger(['error']) };
}

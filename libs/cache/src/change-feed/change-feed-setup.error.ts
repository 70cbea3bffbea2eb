/** A change feed that cannot start: the message says what to fix. */
export class ChangeFeedSetupError extends Error {
  constructor(message: string) {
    super(`nestjs-tiered-cache: changeFeed: ${message}`);
    this.name = 'ChangeFeedSetupError';
  }
}

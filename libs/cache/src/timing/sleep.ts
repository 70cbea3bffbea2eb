/** Resolves after `milliseconds`; the timer alone does not keep the process alive. */
export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds).unref());
}

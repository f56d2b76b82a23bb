/**
 * The controller of one attempt: what the transport registers in the
 * platform's `scopedRequests` (where `HttpClient.withScope` puts an
 * `AbortController`). A client of `@effect/platform` reads its `signal`,
 * made on first use; the SDK's own undici client sets `onabort` instead, so
 * that an attempt answered in time makes no `AbortController` and adds no
 * event listener.
 */
export class AttemptController {
  private c: AbortController | undefined
  aborted = false
  /** Called once, when the attempt is aborted. */
  onabort: (() => void) | undefined

  get signal(): AbortSignal {
    const controller = this.c ??= new AbortController()
    if (this.aborted) controller.abort()
    return controller.signal
  }

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.c?.abort()
    this.onabort?.()
  }
}

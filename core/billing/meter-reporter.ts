import { plural } from '#core/errors'
import { meterEventOf } from './sale-spec.ts'
import type { LicenceStore, MeterClaim, MeterOutcome } from './store.ts'
import { isPermanentStripeFailure, type StripeCalls } from './stripe-calls.ts'

/** How the meter reporter paces itself; every field has a default. */
export interface MeterReporterSettings {
  /** Rows claimed at a time; default 100. */
  batch?: number
  /** Meter events in flight at once; default 8. */
  concurrency?: number
  /** How long a claim holds its rows before another reporter may take them; default 60 s. */
  leaseSeconds?: number
  /** How often unsent rows are looked for without a wake-up (rows other instances left); default 10 s. */
  sweepSeconds?: number
  /** The delay before the first retry, doubled on each after it; default 1 s. */
  retrySeconds?: number
  /** The longest delay between retries; default 300 s. */
  maxRetrySeconds?: number
  /**
   * How long a wake-up waits for more counted queries before claiming, so a
   * busy service claims and records them in batches (two statements each)
   * rather than a few at a time; default 10 ms. A full batch goes at once.
   */
  gatherMs?: number
}

export interface MeterReporter {
  /** Asks for a round soon: calls made while one runs add one more round, not one each. */
  wake(): void
  /** Sends every event due now and resolves when they are settled (tests, benchmarks). */
  flush(): Promise<void>
  /**
   * Stops the sweep and sends what is due, waiting at most `waitMs`; what
   * is left stays unsent in the store for the next instance to send.
   */
  close(waitMs?: number): Promise<void>
}

/**
 * Sends the Stripe meter events of counted queries from the store's outbox
 * in the background: woken after each counted query and by a periodic sweep,
 * it claims a batch (leased, so instances sharing a database each send
 * their own rows), sends them a few at a time and records each outcome. A
 * send is at-least-once (a reporter that dies between sending and recording
 * leaves the row to be sent again when its lease runs out), and Stripe
 * counts each identifier once. A failure is retried with a doubling delay;
 * a refusal Stripe means for good (see isPermanentStripeFailure) is kept on
 * the row and logged, never retried.
 *
 * @example const reporter = startMeterReporter({ store, calls, log }); reporter.wake(); … await reporter.close()
 */
export function startMeterReporter(options: {
  store: LicenceStore
  calls: StripeCalls
  log: (line: string) => void
  settings?: MeterReporterSettings
  now?: () => Date
}): MeterReporter {
  const { store, calls, log } = options
  const now = options.now ?? (() => new Date())
  const settings = options.settings ?? {}
  const batch = settings.batch ?? 100
  const concurrency = settings.concurrency ?? 8
  const leaseSeconds = settings.leaseSeconds ?? 60
  const retrySeconds = settings.retrySeconds ?? 1
  const maxRetrySeconds = settings.maxRetrySeconds ?? 300
  const gatherMs = settings.gatherMs ?? 10
  let running: Promise<void> | undefined
  let again = false
  /** A wake-up waiting to start a round. */
  let gathering: NodeJS.Timeout | undefined
  /** Set by close(): no more wake-ups; `closed` once its wait is over: no more rounds. */
  let closing = false
  let closed = false

  const send = async (claim: MeterClaim): Promise<MeterOutcome> => {
    const key = { licenceId: claim.licenceId, identifier: claim.identifier }
    try {
      await calls.meterEvent({
        // The meter the Stripe sync made for this item (the same function names
        // it there and in payments/links.json's meter_event_name).
        eventName: meterEventOf(`${claim.item.kind}/${claim.item.ns}/${claim.item.name}`),
        customer: claim.customer,
        // The same on every send of this query: Stripe counts it once.
        identifier: `${claim.licenceId}:${claim.identifier}`,
        // Never ahead of this instance's clock: Stripe refuses, for good,
        // a timestamp more than 5 minutes in its future (an instance whose
        // clock ran fast counted the query).
        timestamp: Math.floor(Math.min(Date.parse(claim.at), now().getTime()) / 1000),
      })
      return { ...key, outcome: 'sent' }
    } catch (error) {
      const reason = describe(error)
      if (isPermanentStripeFailure(error)) return { ...key, outcome: 'refused', error: reason }
      const delay = Math.min(maxRetrySeconds, retrySeconds * 2 ** Math.max(0, claim.attempts - 1))
      return { ...key, outcome: 'retry', retryInSeconds: delay, error: reason }
    }
  }

  /** One claimed batch sent and settled; how many rows it claimed. */
  const round = async (): Promise<number> => {
    const claims = await store.claimMeterEvents(batch, leaseSeconds)
    const outcomes: MeterOutcome[] = []
    let next = 0
    const worker = async () => {
      while (next < claims.length) outcomes.push(await send(claims[next++] as MeterClaim))
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, claims.length) }, worker))
    await store.settleMeterEvents(outcomes)
    report(outcomes)
    return claims.length
  }

  const report = (outcomes: MeterOutcome[]) => {
    const retried = outcomes.filter((o) => o.outcome === 'retry')
    const first = retried[0]
    if (first)
      log(
        `meter: ${plural(retried.length, 'event')} not sent, retried in ${first.retryInSeconds} s or more: ${first.error}`,
      )
    for (const o of outcomes)
      if (o.outcome === 'refused')
        log(
          `meter: Stripe refused ${o.licenceId}:${o.identifier} for good, not retried: ${o.error}`,
        )
  }

  /**
   * Rounds until one claims less than a batch (nothing more is due) and no
   * wake-up came meanwhile; after a wake-up it lets more queries gather.
   */
  const run = async (): Promise<void> => {
    do {
      again = false
      try {
        if ((await round()) >= batch) {
          again = true
          continue
        }
      } catch (error) {
        // The store is down: the rows stay unsent, and the sweep tries again.
        log(`meter: could not claim or record meter events: ${describe(error)}`)
        return
      }
      if (again && !closing) await new Promise((done) => setTimeout(done, gatherMs))
    } while (again && !closed)
  }

  const start = (): Promise<void> => {
    running ??= run().finally(() => {
      running = undefined
      if (again && !closed) void start()
    })
    return running
  }

  const sweep = setInterval(() => void start(), (settings.sweepSeconds ?? 10) * 1000)
  sweep.unref()

  return {
    wake() {
      if (closing) return
      again = true
      if (running || gathering) return
      gathering = setTimeout(() => {
        gathering = undefined
        void start()
      }, gatherMs)
    },
    async flush() {
      while (running) await running
      await start()
    },
    async close(waitMs = 5000) {
      clearInterval(sweep)
      clearTimeout(gathering)
      gathering = undefined
      if (closing) return
      closing = true
      let timer: NodeJS.Timeout | undefined
      const drained = (async () => {
        while (running) await running
        await start()
      })()
      await Promise.race([
        drained,
        new Promise<void>((done) => {
          timer = setTimeout(done, waitMs)
        }),
      ])
      closed = true
      clearTimeout(timer)
      const left = await store.meterBacklog().catch(() => undefined)
      if (left?.unsent)
        log(`meter: closing with ${plural(left.unsent, 'event')} unsent, left for the next start`)
    },
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause
  const message = error instanceof Error ? error.message : String(error)
  return cause instanceof Error ? `${message} (${cause.message})` : message
}

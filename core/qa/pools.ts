import { AgoraError } from '#core/errors'
import type { QaConfig } from './grade.ts'
import type { QaPlanEntry } from './pipeline.ts'

/** A runner pool of the QA workflow: its name and the `runs-on` labels of its job. */
export interface QaPool {
  name: string
  labels: string[]
}

/** The pool of versions that name no command runner, and of runners that name none. */
export const CPU_POOL = 'cpu'
/** The CPU job's labels when agora.yaml sets no `qa.runners.cpu`. */
export const DEFAULT_CPU_LABELS = ['ubuntu-24.04'] as const

const HUB_FILE = 'registry/agora.yaml'
// Names become job and artifact names, labels become `runs-on` values: a
// reviewed agora.yaml change could still smuggle in an expression or a
// newline, so both are held to plain characters here and in the schema.
const POOL_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/
const LABEL = /^[A-Za-z0-9._-]{1,100}$/

function badPool(path: string, message: string, hint: string): AgoraError {
  return new AgoraError('qa/bad-pool', `${HUB_FILE} ${path}: ${message}`, {
    file: HUB_FILE,
    hint,
  })
}

function checkLabels(path: string, labels: unknown): string[] {
  if (!Array.isArray(labels) || labels.length === 0)
    throw badPool(path, 'needs a list of runs-on labels', 'e.g. [self-hosted, linux, gpu, a100]')
  for (const [i, label] of labels.entries())
    if (typeof label !== 'string' || !LABEL.test(label))
      throw badPool(
        `${path}[${i}]`,
        `runner label ${JSON.stringify(label)} has characters outside A-Z a-z 0-9 . _ -`,
        'runner labels are plain names such as self-hosted, linux, gpu, a100',
      )
  return labels as string[]
}

/**
 * The QA runner pools agora.yaml defines: `cpu` (`qa.runners.cpu`, by
 * default GitHub-hosted ubuntu-24.04), `gpu` when `qa.runners.gpu` is set,
 * and each `qa.gpu_pools` entry. Names
 * and labels are checked strictly, since they become `runs-on` values;
 * throws `qa/bad-pool` otherwise.
 *
 * @example qaPools({ identity: 'qa', gpu_pools: [{ name: 'a100', labels: ['self-hosted', 'a100'] }] }).map((p) => p.name) // ['cpu', 'a100']
 */
export function qaPools(qa: QaConfig | undefined): QaPool[] {
  const cpu = qa?.runners?.cpu
  const pools: QaPool[] = [
    {
      name: CPU_POOL,
      labels: cpu ? checkLabels('qa.runners.cpu', cpu) : [...DEFAULT_CPU_LABELS],
    },
  ]
  const gpu = qa?.runners?.gpu
  if (gpu) pools.push({ name: 'gpu', labels: checkLabels('qa.runners.gpu', gpu) })
  for (const [i, pool] of (qa?.gpu_pools ?? []).entries()) {
    const path = `qa.gpu_pools[${i}]`
    if (typeof pool.name !== 'string' || !POOL_NAME.test(pool.name))
      throw badPool(
        `${path}.name`,
        `pool name ${JSON.stringify(pool.name)} is not lower-case letters, digits and dashes (at most 64)`,
        'name the pool like a10g or gpu-a100',
      )
    if (pools.some((p) => p.name === pool.name))
      throw badPool(
        `${path}.name`,
        `pool "${pool.name}" is defined twice`,
        pool.name === CPU_POOL || pool.name === 'gpu'
          ? `${pool.name} is the pool of qa.runners.${pool.name}; give the GPU pool another name`
          : 'give each pool its own name',
      )
    pools.push({ name: pool.name, labels: checkLabels(`${path}.labels`, pool.labels) })
  }
  return pools
}

/**
 * The pool a command runner runs in (`qa.command_runners.<name>.pool`),
 * `cpu` for a runner that names none or is not defined (its evaluation is
 * then "not run", which any pool can report).
 *
 * @example poolOfRunner(qa, 'lora-reference') // 'cpu'
 */
export function poolOfRunner(qa: QaConfig | undefined, runner: string | undefined): string {
  return (runner && qa?.command_runners?.[runner]?.pool) || CPU_POOL
}

/** The plan entries of one pool, with the labels of its job. */
export interface QaPoolPlan {
  pool: QaPool
  entries: QaPlanEntry[]
}

/**
 * Splits a QA plan by pool, in agora.yaml's pool order, leaving out pools
 * with nothing to check. A plan entry is never split: every evaluation of
 * a version (a LoRA's red-team run and the run of its base model alone for
 * the latency check included) stays in the version's pool, so the latency
 * comparison is made on one machine. Throws `qa/bad-pool` for an entry whose
 * pool agora.yaml does not define.
 *
 * @example splitQaPlan(planQa(targets, benchmarks, { qa }), qa).map((p) => p.pool.name) // ['cpu', 'a100']
 */
export function splitQaPlan(plan: readonly QaPlanEntry[], qa: QaConfig | undefined): QaPoolPlan[] {
  const pools = qaPools(qa)
  const split = new Map<string, QaPlanEntry[]>(pools.map((p) => [p.name, []]))
  for (const entry of plan) {
    const entries = split.get(entry.pool)
    if (!entries) {
      const runner = Object.entries(qa?.command_runners ?? {}).find(
        ([, r]) => r.pool === entry.pool,
      )?.[0]
      throw badPool(
        runner ? `qa.command_runners.${runner}.pool` : 'qa',
        `pool "${entry.pool}" is not one agora.yaml defines`,
        `define it under qa.gpu_pools, or use one of: ${pools.map((p) => p.name).join(', ')}`,
      )
    }
    entries.push(entry)
  }
  return pools
    .map((pool) => ({ pool, entries: split.get(pool.name) ?? [] }))
    .filter((p) => p.entries.length > 0)
}

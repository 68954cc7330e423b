import { describe, expect, it } from 'vitest'
import { isAgoraError } from '#core/errors'
import type { BenchmarkItem, BenchmarkVersion, ItemManifest, VersionManifest } from '#core/manifest'
import type { QaConfig } from './grade.ts'
import { planQa, type QaBenchmark, type QaTarget } from './pipeline.ts'
import { qaPools, splitQaPlan } from './pools.ts'

function bench(name: string, task: string): QaBenchmark {
  return {
    ref: { kind: 'benchmark', ns: 'b', name },
    item: { kind: 'benchmark', id: `b/${name}`, task, metrics: [] } as unknown as BenchmarkItem,
    version: {
      version: '1.0.0',
      files: [],
      evaluation: {
        test_set: 'labels.csv',
        id_column: 'id',
        predictions: { format: 'csv' },
        tasks: [{ name: 't', label: 'y' }],
        metrics: [{ name: 'auc', function: 'roc_auc' }],
      },
    } as BenchmarkVersion,
  }
}

function target(kind: 'model' | 'lora', name: string, runner?: string): QaTarget {
  return {
    ref: { kind, ns: 'acme', name },
    item: {
      kind,
      id: `acme/${name}`,
      pipeline_tag: 'text-generation',
      ...(kind === 'lora' ? { base_model: 'acme/base' } : {}),
    } as unknown as ItemManifest,
    version: {
      version: '1.0.0',
      files: [],
      ...(runner ? { runner: { use: runner } } : {}),
    } as unknown as VersionManifest,
  }
}

const QA: QaConfig = {
  identity: 'qa-bot',
  runners: { cpu: ['self-hosted', 'linux', 'cpu'] },
  gpu_pools: [
    { name: 'a10g', labels: ['self-hosted', 'linux', 'gpu', 'a10g'] },
    { name: 'gpu-a100', labels: ['self-hosted', 'linux', 'gpu', 'a100'] },
  ],
  command_runners: {
    'lora-a100': { command: ['node', 'lora.ts'], pool: 'gpu-a100' },
    'cpu-tool': { command: ['node', 'tool.ts'] },
  },
}

function thrown(f: () => unknown): { code: string; message: string; hint: string | undefined } {
  try {
    f()
  } catch (error) {
    if (isAgoraError(error)) return { code: error.code, message: error.message, hint: error.hint }
    throw error
  }
  throw new Error('did not throw')
}

describe('core/qa/pools', () => {
  const benchmarks = [bench('chat', 'text-generation'), bench('red-team', 'red-teaming')]

  it('reads the pools of agora.yaml: cpu first, then each GPU pool', () => {
    expect(qaPools(QA)).toEqual([
      { name: 'cpu', labels: ['self-hosted', 'linux', 'cpu'] },
      { name: 'a10g', labels: ['self-hosted', 'linux', 'gpu', 'a10g'] },
      { name: 'gpu-a100', labels: ['self-hosted', 'linux', 'gpu', 'a100'] },
    ])
    expect(qaPools(undefined)).toEqual([{ name: 'cpu', labels: ['ubuntu-24.04'] }])
    // qa.runners.gpu is the pool named gpu.
    expect(qaPools({ identity: 'q', runners: { gpu: ['self-hosted', 'gpu'] } })).toEqual([
      { name: 'cpu', labels: ['ubuntu-24.04'] },
      { name: 'gpu', labels: ['self-hosted', 'gpu'] },
    ])
  })

  it('puts a LoRA, its red-team run and its base-model latency run in its runner’s pool', () => {
    const base = target('model', 'base')
    const lora = target('lora', 'chat-lora', 'lora-a100')
    const tool = target('model', 'tool', 'cpu-tool')
    const plan = planQa([base, lora, tool], benchmarks, { redTeam: 'b/red-team', qa: QA })
    expect(plan.map((e) => e.pool)).toEqual(['cpu', 'gpu-a100', 'cpu'])

    const split = splitQaPlan(plan, QA)
    expect(split.map((p) => [p.pool.name, p.entries.map((e) => e.target.ref.name)])).toEqual([
      ['cpu', ['base', 'tool']],
      ['gpu-a100', ['chat-lora']],
    ])
    // The red-team evaluation, which also times the base model alone, is
    // the LoRA's own: it is planned in the LoRA's pool and nowhere else,
    // even when the base model is checked in the same run.
    const a100 = split.find((p) => p.pool.name === 'gpu-a100')
    expect(a100?.pool.labels).toEqual(['self-hosted', 'linux', 'gpu', 'a100'])
    expect(a100?.entries[0]?.evaluations).toContainEqual({
      benchmark: { kind: 'benchmark', ns: 'b', name: 'red-team' },
      how: 'runner',
      runner: 'lora-a100',
      redTeam: true,
    })
    const cpu = split.find((p) => p.pool.name === 'cpu')
    expect(cpu?.entries.flatMap((e) => e.evaluations).some((e) => 'redTeam' in e)).toBe(false)
  })

  it('plans without a qa block into the cpu pool, and leaves out pools with nothing to check', () => {
    const plan = planQa([target('model', 'm')], benchmarks)
    expect(plan[0]?.pool).toBe('cpu')
    expect(splitQaPlan(plan, QA).map((p) => p.pool.name)).toEqual(['cpu'])
    expect(splitQaPlan([], QA)).toEqual([])
  })

  it('refuses a runner pool agora.yaml does not define', () => {
    const qa: QaConfig = {
      ...QA,
      command_runners: { big: { command: ['x'], pool: 'h100' } },
    }
    const plan = planQa([target('model', 'm', 'big')], benchmarks, { qa })
    expect(thrown(() => splitQaPlan(plan, qa))).toEqual({
      code: 'qa/bad-pool',
      message:
        'registry/agora.yaml qa.command_runners.big.pool: pool "h100" is not one agora.yaml defines',
      hint: 'define it under qa.gpu_pools, or use one of: cpu, a10g, gpu-a100',
    })
  })

  it.each([
    'self-hosted,gpu',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a template
    '${{ secrets.X }}',
    'gpu\nfoo=bar',
    '',
  ])('refuses the runner label %j', (label) => {
    const qa: QaConfig = {
      identity: 'q',
      gpu_pools: [{ name: 'g', labels: ['self-hosted', label] }],
    }
    const error = thrown(() => qaPools(qa))
    expect(error.code).toBe('qa/bad-pool')
    expect(error.message).toBe(
      `registry/agora.yaml qa.gpu_pools[0].labels[1]: runner label ${JSON.stringify(label)} has characters outside A-Z a-z 0-9 . _ -`,
    )
    expect(error.hint).toBe('runner labels are plain names such as self-hosted, linux, gpu, a100')
  })

  it('refuses bad, duplicate and cpu pool names, and a cpu job without labels', () => {
    const named = (...names: string[]) =>
      qaPools({ identity: 'q', gpu_pools: names.map((name) => ({ name, labels: ['x'] })) })
    expect(thrown(() => named('GPU A100')).message).toBe(
      'registry/agora.yaml qa.gpu_pools[0].name: pool name "GPU A100" is not lower-case letters, digits and dashes (at most 64)',
    )
    expect(thrown(() => named('a', 'a')).message).toBe(
      'registry/agora.yaml qa.gpu_pools[1].name: pool "a" is defined twice',
    )
    expect(thrown(() => named('cpu')).hint).toBe(
      'cpu is the pool of qa.runners.cpu; give the GPU pool another name',
    )
    expect(
      thrown(() =>
        qaPools({
          identity: 'q',
          runners: { gpu: ['gpu'] },
          gpu_pools: [{ name: 'gpu', labels: ['x'] }],
        }),
      ).hint,
    ).toBe('gpu is the pool of qa.runners.gpu; give the GPU pool another name')
    expect(thrown(() => qaPools({ identity: 'q', runners: { cpu: [] } })).message).toBe(
      'registry/agora.yaml qa.runners.cpu: needs a list of runs-on labels',
    )
  })
})

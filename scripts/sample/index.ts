import { renderSampleHub, type SampleHub, type SampleHubDef } from './build.ts'
import { sampleHubConfig, sampleOwners } from './hub.ts'
import { chemDataItems } from './items-chem-data.ts'
import { chemModelItems } from './items-chem-models.ts'
import { llmItems } from './items-llm.ts'
import { neuralItems } from './items-neural.ts'
import { runnerItems } from './items-runner.ts'

export type { SampleArtifact, SampleDocument, SampleHub } from './build.ts'

/**
 * The whole sample hub as data: hub settings, owners and every item with
 * its versions' bytes.
 *
 * @example sampleHubDef().items.length // about 75
 */
export function sampleHubDef(): SampleHubDef {
  return {
    hub: sampleHubConfig(),
    owners: sampleOwners(),
    items: [
      ...chemDataItems(),
      ...chemModelItems(),
      ...llmItems(),
      ...neuralItems(),
      ...runnerItems(),
    ],
  }
}

/**
 * Builds the sample hub: registry documents (paths relative to `registry/`)
 * and the artifacts with their bytes. Deterministic: two calls give equal
 * output.
 *
 * @example buildSampleHub().documents.find((d) => d.path === 'agora.yaml')
 */
export function buildSampleHub(): SampleHub {
  return renderSampleHub(sampleHubDef())
}

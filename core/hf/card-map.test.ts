import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadReadme } from '#core/manifest'
import { type HfRepoKind, mapCardToFields, mapFieldsToCard } from './card-map.ts'

function frontMatterOf(fixture: string): Record<string, unknown> {
  const path = new URL(`./__fixtures__/cards/${fixture}`, import.meta.url)
  const { value, issues } = loadReadme(readFileSync(path), fixture)
  expect(issues).toEqual([])
  return value?.frontMatter as Record<string, unknown>
}

/** A real card through import and back: what survives, what is dropped, and why. */
function roundTrip(fixture: string, kind: HfRepoKind, repoId: string) {
  const front = frontMatterOf(fixture)
  const imported = mapCardToFields(front, kind, repoId)
  const exported = mapFieldsToCard(
    { ...imported.fields, ...(imported.title ? { title: imported.title } : {}) },
    kind,
  )
  return { front, imported, exported }
}

describe('core/hf/card-map round trip on real cards', () => {
  it('bert-base-uncased keeps every field; a lone language becomes a list', () => {
    const { front, imported, exported } = roundTrip(
      'bert-base-uncased.md',
      'model',
      'google-bert/bert-base-uncased',
    )
    expect(imported.dropped).toEqual([])
    expect(imported.fields.license).toBe('Apache-2.0')
    expect(imported.fields.datasets).toEqual(['hf:bookcorpus', 'hf:wikipedia'])
    expect(exported).toEqual({ ...front, language: ['en'] })
  })

  it('zephyr-7b-beta drops widget and model-index and keeps the rest', () => {
    const { front, imported, exported } = roundTrip(
      'zephyr-7b-beta.md',
      'model',
      'HuggingFaceH4/zephyr-7b-beta',
    )
    expect(imported.dropped.map((d) => d.path)).toEqual(['widget', 'model-index'])
    expect(imported.fields.base_model).toBe('hf:mistralai/Mistral-7B-v0.1')
    const { widget: _w, 'model-index': _m, ...kept } = front
    expect(exported).toEqual(kept)
  })

  it('a PEFT LoRA card keeps base_model; a tag outside the tag alphabet is dropped; no licence becomes other', () => {
    const { front, imported, exported } = roundTrip(
      'mistral-7b-qlora-yelp.md',
      'model',
      'alighasemi931/mistral-7b-qlora-yelp',
    )
    expect(imported.dropped.map((d) => d.path)).toEqual(['tags[0]'])
    expect(imported.fields).toMatchObject({
      license: 'other',
      license_name: 'alighasemi931/mistral-7b-qlora-yelp licence',
      base_model: 'hf:mistralai/Mistral-7B-v0.1',
      library_name: 'peft',
    })
    const { license: _l, ...rest } = exported
    expect(rest).toEqual({
      ...front,
      tags: ['lora', 'transformers'],
      license_name: 'alighasemi931/mistral-7b-qlora-yelp licence',
      license_link:
        'https://huggingface.co/alighasemi931/mistral-7b-qlora-yelp/blob/main/README.md',
    })
  })

  it('the imdb dataset card keeps licence, title, language, tasks and size and drops the loader and curation keys', () => {
    const { imported, exported } = roundTrip('imdb.md', 'dataset', 'stanfordnlp/imdb')
    expect(imported.dropped.map((d) => d.path)).toEqual([
      'annotations_creators',
      'language_creators',
      'multilinguality',
      'source_datasets',
      'task_ids',
      'paperswithcode_id',
      'train-eval-index',
      'dataset_info',
    ])
    expect(imported.title).toBe('IMDB')
    expect(exported).toEqual({
      license: 'other',
      license_name: 'stanfordnlp/imdb licence',
      license_link: 'https://huggingface.co/datasets/stanfordnlp/imdb/blob/main/README.md',
      pretty_name: 'IMDB',
      language: ['en'],
      size_categories: '10K<n<100K',
      task_categories: ['text-classification'],
    })
  })

  it('drops a task category outside the task alphabet and repeated languages', () => {
    const imported = mapCardToFields(
      {
        license: 'mit',
        task_categories: ['text-classification', 'Text Classification'],
        language: ['en', 'en', 'fr'],
      },
      'dataset',
      'org/data',
    )
    expect(imported.fields).toMatchObject({
      task_categories: ['text-classification'],
      language: ['en', 'fr'],
    })
    expect(imported.dropped).toEqual([
      { path: 'task_categories[1]', reason: '"Text Classification" is not a lower-case task word' },
    ])
  })

  it('a licence named and linked by the card (license: other) goes back as it came, with the lineage', () => {
    // Written from the Hub's card spec (huggingface/hub-docs modelcard.md), not a published card.
    const front = {
      license: 'other',
      license_name: 'health-ai-developer-foundations',
      license_link: 'https://developers.google.com/health-ai-developer-foundations/terms',
      base_model: ['google/medgemma-4b-pt', 'google/medgemma-4b-it'],
      base_model_relation: 'merge',
      library_name: 'transformers',
    }
    const imported = mapCardToFields(front, 'model', 'org/merged')
    expect(imported.dropped).toEqual([])
    expect(imported.fields.base_model).toEqual([
      'hf:google/medgemma-4b-pt',
      'hf:google/medgemma-4b-it',
    ])
    expect(mapFieldsToCard(imported.fields, 'model')).toEqual(front)
  })

  it('a Hub licence id that is not SPDX goes back as the same id', () => {
    const imported = mapCardToFields({ license: 'llama3' }, 'model', 'meta-llama/Meta-Llama-3-8B')
    expect(imported.fields).toMatchObject({ license: 'other', license_name: 'llama3' })
    expect(mapFieldsToCard(imported.fields, 'model')).toEqual({ license: 'llama3' })
  })
})

import type { SafetensorsDtype, TensorSpec } from './safetensors.ts'

/** Atom features of the GNNs: one-hot element, degree, charge, aromaticity, ring size… (39 as in DeepChem's ConvMol). */
export const ATOM_FEATURES = 39

/**
 * A GIN-style message-passing network: atom encoder, `layers` two-layer MLP
 * convolutions with layer norms, and a readout MLP over mean+max pooling.
 *
 * @example gnnTensors({ hidden: 64, layers: 4, tasks: 1, dtype: 'F32' }).length
 */
export function gnnTensors(o: {
  hidden: number
  layers: number
  tasks: number
  dtype: SafetensorsDtype
}): TensorSpec[] {
  const { hidden: h, dtype } = o
  const t: TensorSpec[] = [
    { name: 'atom_encoder.weight', dtype, shape: [h, ATOM_FEATURES], std: 0.1 },
    { name: 'atom_encoder.bias', dtype, shape: [h], fill: 0 },
  ]
  for (let l = 0; l < o.layers; l++) {
    t.push(
      { name: `convs.${l}.mlp.0.weight`, dtype, shape: [h, h], std: 0.08 },
      { name: `convs.${l}.mlp.0.bias`, dtype, shape: [h], std: 0.01 },
      { name: `convs.${l}.mlp.2.weight`, dtype, shape: [h, h], std: 0.08 },
      { name: `convs.${l}.mlp.2.bias`, dtype, shape: [h], std: 0.01 },
      { name: `norms.${l}.weight`, dtype, shape: [h], fill: 1 },
      { name: `norms.${l}.bias`, dtype, shape: [h], fill: 0 },
    )
  }
  t.push(
    { name: 'readout.0.weight', dtype, shape: [h, 2 * h], std: 0.06 },
    { name: 'readout.0.bias', dtype, shape: [h], std: 0.01 },
    { name: 'readout.2.weight', dtype, shape: [o.tasks, h], std: 0.1 },
    { name: 'readout.2.bias', dtype, shape: [o.tasks], std: 0.01 },
  )
  return t
}

/**
 * A fingerprint MLP: `input` bits, hidden layers, one head per task.
 *
 * @example mlpTensors({ input: 1024, hidden: [64, 64], heads: ['herg'], dtype: 'F16' })
 */
export function mlpTensors(o: {
  input: number
  hidden: number[]
  heads: string[]
  dtype: SafetensorsDtype
}): TensorSpec[] {
  const t: TensorSpec[] = []
  let width = o.input
  o.hidden.forEach((units, i) => {
    t.push({ name: `trunk.${i * 3}.weight`, dtype: o.dtype, shape: [units, width], std: 0.04 })
    t.push({ name: `trunk.${i * 3}.bias`, dtype: o.dtype, shape: [units], std: 0.01 })
    width = units
  })
  for (const head of o.heads) {
    t.push({ name: `heads.${head}.weight`, dtype: o.dtype, shape: [1, width], std: 0.1 })
    t.push({ name: `heads.${head}.bias`, dtype: o.dtype, shape: [1], std: 0.01 })
  }
  return t
}

/**
 * A small encoder–decoder transformer over SMILES tokens (PyTorch
 * nn.Transformer naming), for the retrosynthesis stand-ins.
 *
 * @example seq2seqTensors({ vocab: 64, d: 64, ffn: 128, encoder: 1, decoder: 1, dtype: 'F16' })
 */
export function seq2seqTensors(o: {
  vocab: number
  d: number
  ffn: number
  encoder: number
  decoder: number
  dtype: SafetensorsDtype
}): TensorSpec[] {
  const { d, dtype } = o
  const attn = (p: string): TensorSpec[] => [
    { name: `${p}.in_proj_weight`, dtype, shape: [3 * d, d] },
    { name: `${p}.in_proj_bias`, dtype, shape: [3 * d], fill: 0 },
    { name: `${p}.out_proj.weight`, dtype, shape: [d, d] },
    { name: `${p}.out_proj.bias`, dtype, shape: [d], fill: 0 },
  ]
  const ffn = (p: string): TensorSpec[] => [
    { name: `${p}.linear1.weight`, dtype, shape: [o.ffn, d] },
    { name: `${p}.linear1.bias`, dtype, shape: [o.ffn], fill: 0 },
    { name: `${p}.linear2.weight`, dtype, shape: [d, o.ffn] },
    { name: `${p}.linear2.bias`, dtype, shape: [d], fill: 0 },
  ]
  const norm = (p: string): TensorSpec[] => [
    { name: `${p}.weight`, dtype, shape: [d], fill: 1 },
    { name: `${p}.bias`, dtype, shape: [d], fill: 0 },
  ]
  const t: TensorSpec[] = [
    { name: 'src_embed.weight', dtype, shape: [o.vocab, d], std: 0.1 },
    { name: 'tgt_embed.weight', dtype, shape: [o.vocab, d], std: 0.1 },
  ]
  for (let l = 0; l < o.encoder; l++) {
    const p = `transformer.encoder.layers.${l}`
    t.push(...attn(`${p}.self_attn`), ...ffn(p), ...norm(`${p}.norm1`), ...norm(`${p}.norm2`))
  }
  for (let l = 0; l < o.decoder; l++) {
    const p = `transformer.decoder.layers.${l}`
    t.push(...attn(`${p}.self_attn`), ...attn(`${p}.multihead_attn`), ...ffn(p))
    t.push(...norm(`${p}.norm1`), ...norm(`${p}.norm2`), ...norm(`${p}.norm3`))
  }
  t.push(
    { name: 'generator.weight', dtype, shape: [o.vocab, d] },
    { name: 'generator.bias', dtype, shape: [o.vocab], fill: 0 },
  )
  return t
}

/**
 * A SMILES GRU variational autoencoder: embedding, GRU encoder, latent
 * projections, GRU decoder conditioned on the latent, output layer.
 *
 * @example vaeTensors({ vocab: 40, embed: 32, hidden: 64, latent: 32, dtype: 'F16' })
 */
export function vaeTensors(o: {
  vocab: number
  embed: number
  hidden: number
  latent: number
  dtype: SafetensorsDtype
}): TensorSpec[] {
  const { hidden: h, dtype } = o
  return [
    { name: 'embedding.weight', dtype, shape: [o.vocab, o.embed], std: 0.1 },
    { name: 'encoder.weight_ih_l0', dtype, shape: [3 * h, o.embed], std: 0.08 },
    { name: 'encoder.weight_hh_l0', dtype, shape: [3 * h, h], std: 0.08 },
    { name: 'encoder.bias_ih_l0', dtype, shape: [3 * h], fill: 0 },
    { name: 'encoder.bias_hh_l0', dtype, shape: [3 * h], fill: 0 },
    { name: 'to_mu.weight', dtype, shape: [o.latent, h], std: 0.05 },
    { name: 'to_mu.bias', dtype, shape: [o.latent], fill: 0 },
    { name: 'to_logvar.weight', dtype, shape: [o.latent, h], std: 0.05 },
    { name: 'to_logvar.bias', dtype, shape: [o.latent], fill: 0 },
    { name: 'decoder.weight_ih_l0', dtype, shape: [3 * h, o.embed + o.latent], std: 0.08 },
    { name: 'decoder.weight_hh_l0', dtype, shape: [3 * h, h], std: 0.08 },
    { name: 'decoder.bias_ih_l0', dtype, shape: [3 * h], fill: 0 },
    { name: 'decoder.bias_hh_l0', dtype, shape: [3 * h], fill: 0 },
    { name: 'output.weight', dtype, shape: [o.vocab, h], std: 0.05 },
    { name: 'output.bias', dtype, shape: [o.vocab], fill: 0 },
  ]
}

/** The SMILES tokens of the sequence models: the regex tokenizer of Schwaller et al. (2019) over a common vocabulary. */
export const SMILES_VOCAB: readonly string[] = [
  '<pad>',
  '<bos>',
  '<eos>',
  '<unk>',
  '>>',
  '.',
  'C',
  'c',
  'N',
  'n',
  'O',
  'o',
  'S',
  's',
  'F',
  'Cl',
  'Br',
  'I',
  'P',
  'B',
  '[nH]',
  '[N+]',
  '[O-]',
  '[N-]',
  '[C@H]',
  '[C@@H]',
  '[C@]',
  '[C@@]',
  '[Si]',
  '[Sn]',
  '[Pd]',
  '[B-]',
  '(',
  ')',
  '=',
  '#',
  '-',
  '+',
  '/',
  '\\',
  '@',
  '%10',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
]

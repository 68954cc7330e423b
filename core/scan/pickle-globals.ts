/**
 * Globals a state dict needs and nothing more: tensor and parameter
 * rebuilders, storages, dtypes, numpy array reconstruction and plain
 * containers. The same ground as torch's `weights_only` unpickler.
 */
const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'collections.defaultdict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._tensor._rebuild_from_type_v2',
  'torch.serialization._get_layout',
  'torch.Size',
  'torch.device',
  'torch.strided',
  'torch.sparse_coo',
  'torch.per_tensor_affine',
  'torch.per_channel_affine',
  'torch.nn.parameter.Parameter',
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  'numpy.dtype',
  'numpy.ndarray',
  'numpy.dtypes.Float32DType',
  'numpy.dtypes.Float64DType',
  'numpy.dtypes.Float16DType',
  'numpy.dtypes.Int64DType',
  'numpy.dtypes.Int32DType',
  'numpy.dtypes.UInt8DType',
  'numpy.dtypes.BoolDType',
  '_codecs.encode',
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytearray',
  'builtins.complex',
  'builtins.slice',
  '__builtin__.set',
  '__builtin__.frozenset',
  '__builtin__.bytearray',
  '__builtin__.complex',
  '__builtin__.slice',
])

const TORCH_DTYPES = new Set([
  'float16',
  'float32',
  'float64',
  'bfloat16',
  'half',
  'float',
  'double',
  'complex64',
  'complex128',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'long',
  'int',
  'short',
  'float8_e4m3fn',
  'float8_e5m2',
  'qint8',
  'quint8',
  'qint32',
])

/** Modules whose mere import in a pickle is a known way to run code or reach the system. */
const DANGEROUS_MODULES = new Set([
  'os',
  'posix',
  'nt',
  'subprocess',
  'sys',
  'runpy',
  'socket',
  'shutil',
  'pty',
  'webbrowser',
  'importlib',
  'pickle',
  '_pickle',
  'cPickle',
  'marshal',
  'types',
  'ctypes',
  'code',
  'codeop',
  'commands',
  'platform',
  'asyncio',
  'multiprocessing',
  'requests',
  'urllib',
  'urllib2',
  'urllib3',
  'http',
  'httplib',
  'ftplib',
  'smtplib',
  'telnetlib',
  'pip',
  'setuptools',
  'distutils',
  'signal',
  'tempfile',
  'glob',
  'pathlib',
  'io',
  'operator',
  'functools',
  'dill',
  'joblib',
])

/** Builtins that are harmless constructors; every other builtin (eval, exec, getattr, open …) is dangerous. */
const SAFE_BUILTINS = new Set([
  'set',
  'frozenset',
  'bytearray',
  'complex',
  'slice',
  'list',
  'dict',
  'tuple',
  'int',
  'float',
  'str',
  'bytes',
  'bool',
  'range',
])

const DANGEROUS_GLOBALS = new Set([
  'torch.load',
  'torch.hub.load',
  'torch.hub.load_state_dict_from_url',
  'torch.storage._load_from_bytes',
  'torch.jit.load',
  'numpy.load',
  'numpy.testing._private.utils.runstring',
])

/**
 * Whether a pickle may import `module.name`: the built-in allowlist, every
 * `torch.*Storage`, torch dtypes, plus `extra` globals a hub allows.
 *
 * @example isAllowedGlobal('torch._utils', '_rebuild_tensor_v2') // true
 * @example isAllowedGlobal('posix', 'system') // false
 */
export function isAllowedGlobal(
  module: string,
  name: string,
  extra?: ReadonlySet<string>,
): boolean {
  const full = `${module}.${name}`
  if (ALLOWED_GLOBALS.has(full) || extra?.has(full)) return true
  if (module === 'torch' && (/^[A-Za-z0-9]*Storage$/.test(name) || TORCH_DTYPES.has(name)))
    return true
  return false
}

/**
 * Whether an import is a known way to run code (as opposed to merely not
 * allowed): os/posix/subprocess, eval-like builtins, loaders of nested files.
 *
 * @example isDangerousGlobal('builtins', 'eval') // true
 */
export function isDangerousGlobal(module: string, name: string): boolean {
  const top = module.split('.')[0] ?? module
  if (DANGEROUS_MODULES.has(top)) return true
  if (module === 'builtins' || module === '__builtin__') return !SAFE_BUILTINS.has(name)
  return DANGEROUS_GLOBALS.has(`${module}.${name}`)
}

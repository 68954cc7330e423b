"""Writes model files in this folder with the reference writers (gguf, onnx,
safetensors from PyPI), so the scanner is tested against what real tools
produce. Run from this folder: python3 make_models.py"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from safetensors.numpy import save_file

import gguf

# safetensors, as safetensors.numpy writes it (header padded with spaces to 8 bytes).
save_file(
    {"embed.weight": np.arange(12, dtype=np.float32).reshape(3, 4), "norm.bias": np.zeros(5, dtype=np.float16),
     "mask": np.array([True, False]), "empty": np.zeros((0, 3), dtype=np.int64)},
    "reference.safetensors",
    metadata={"format": "np", "note": "written by safetensors.numpy"},
)

# GGUF v3 with every metadata value type, an F32, an F16 and a Q8_0 tensor.
writer = gguf.GGUFWriter("reference.gguf", "llama")
writer.add_name("agora-test")
writer.add_uint32("test.u32", 7)
writer.add_int32("test.i32", -7)
writer.add_float32("test.f32", 0.5)
writer.add_bool("test.bool", True)
writer.add_uint64("test.u64", 2**40)
writer.add_int8("test.i8", -1)
writer.add_float64("test.f64", 0.25)
writer.add_array("test.ints", [1, 2, 3])
writer.add_token_list(["<s>", "</s>", "hello"])
writer.add_chat_template("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}")
writer.add_tensor("token_embd.weight", np.ones((4, 32), dtype=np.float32))
writer.add_tensor("output_norm.weight", np.ones(32, dtype=np.float16))
q8 = gguf.quants.quantize(np.ones((2, 64), dtype=np.float32), gguf.GGMLQuantizationType.Q8_0)
writer.add_tensor("blk.0.attn_q.weight", q8, raw_shape=q8.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()

# ONNX: Gemm with its weight in an external file, and an If whose branches hold constant tensors.
weight = helper.make_tensor("W", TensorProto.FLOAT, [4, 4], np.ones(16, dtype=np.float32).tobytes(), raw=True)
then_graph = helper.make_graph(
    [helper.make_node("Constant", [], ["t"], value=helper.make_tensor("c1", TensorProto.FLOAT, [1], [1.0]))],
    "then", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, [1])])
else_graph = helper.make_graph(
    [helper.make_node("Constant", [], ["e"], value=helper.make_tensor("c2", TensorProto.FLOAT, [1], [2.0]))],
    "else", [], [helper.make_tensor_value_info("e", TensorProto.FLOAT, [1])])
graph = helper.make_graph(
    [helper.make_node("Gemm", ["X", "W"], ["Y"]),
     helper.make_node("If", ["cond"], ["Z"], then_branch=then_graph, else_branch=else_graph)],
    "agora-test",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4]),
     helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 4]),
     helper.make_tensor_value_info("Z", TensorProto.FLOAT, [1])],
    initializer=[weight],
)
model = helper.make_model(graph, producer_name="agora-test", opset_imports=[helper.make_opsetid("", 17)])
onnx.checker.check_model(model)
if os.path.exists("reference.onnx.data"):
    os.remove("reference.onnx.data")
onnx.save_model(model, "reference.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
                location="reference.onnx.data", size_threshold=0)

# The same model with a constant inside the If's then-branch pointing outside the item.
hostile = onnx.load_model("reference.onnx", load_external_data=False)
constant = hostile.graph.node[1].attribute[0].g.node[0].attribute[0].t
constant.data_location = TensorProto.EXTERNAL
entry = constant.external_data.add()
entry.key = "location"
entry.value = "../../../etc/passwd"
onnx.save_model(hostile, "escape-subgraph.onnx")

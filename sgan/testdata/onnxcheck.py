"""onnxcheck.py MODEL: the ONNX checker with full_check and strict shape
inference, for sgan's export tests; prints the inferred output shapes."""
import sys

import onnx

model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)
inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
for o in inferred.graph.output:
    dims = [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]
    print(o.name, dims)

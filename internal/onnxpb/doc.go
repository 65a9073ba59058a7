// Package onnxpb writes the few ONNX protobuf messages that an exported
// semigan network needs (ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto and their parts), with the
// field numbers of onnx.proto, using protowire's low-level encoding: no
// generated code and no cgo. sgan's ONNX export builds a Model and
// writes Model.Marshal's bytes; runtimes read them as any .onnx file.
package onnxpb

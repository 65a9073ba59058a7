package onnxpb_test

import (
	"fmt"

	"github.com/semigan/semigan/internal/onnxpb"
)

// A one-node model: y = relu(x) for x of shape (N, 4).
func ExampleModel_Marshal() {
	m := onnxpb.Model{
		IRVersion: 8, Opset: 13, ProducerName: "example",
		Graph: onnxpb.Graph{
			Name:    "relu",
			Nodes:   []onnxpb.Node{{Name: "r", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}},
			Inputs:  []onnxpb.ValueInfo{{Name: "x", ElemType: onnxpb.Float, Shape: []onnxpb.Dim{{Param: "N"}, {Value: 4}}}},
			Outputs: []onnxpb.ValueInfo{{Name: "y", ElemType: onnxpb.Float, Shape: []onnxpb.Dim{{Param: "N"}, {Value: 4}}}},
		},
	}
	b := m.Marshal()
	fmt.Println(len(b), "bytes")
	// Output: 84 bytes
}

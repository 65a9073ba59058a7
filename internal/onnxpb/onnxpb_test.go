package onnxpb

import (
	"encoding/hex"
	"fmt"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// field is one decoded protobuf field: a varint, fixed32 or bytes value.
type field struct {
	num   protowire.Number
	typ   protowire.Type
	v     uint64
	bytes []byte
}

func decode(t *testing.T, b []byte) []field {
	t.Helper()
	var out []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag in %x", b)
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("wire type %v", typ)
		}
		if n < 0 {
			t.Fatalf("bad value in %x", b)
		}
		b = b[n:]
		out = append(out, f)
	}
	return out
}

// Each message encodes its fields with onnx.proto's numbers and wire
// types.
func TestMarshalFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  []byte
		want string // "num:type=value" per field, bytes as text or hex
	}{
		{"float attribute", (&Attr{Name: "alpha", Type: AttrFloat, F: 0.5}).marshal(), "1:2=alpha 2:5=0x3f000000 20:0=1"},
		{"int attribute", (&Attr{Name: "axis", Type: AttrInt, I: 1}).marshal(), "1:2=alpha"[:0] + "1:2=axis 3:0=1 20:0=2"},
		{"negative int", (&Attr{Name: "axis", Type: AttrInt, I: -1}).marshal(), "1:2=axis 3:0=18446744073709551615 20:0=2"},
		{"ints attribute", (&Attr{Name: "pads", Type: AttrInts, Ints: []int64{2, 2}}).marshal(), "1:2=pads 8:0=2 8:0=2 20:0=7"},
		{"node", (&Node{Name: "n", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}).marshal(), "1:2=x 2:2=y 3:2=n 4:2=Relu"},
		{"float tensor", func() []byte { tt := FloatTensor("w", []int64{2}, []float32{1, -2}); return tt.marshal() }(), "1:0=2 2:0=1 8:2=w 9:2=0000803f000000c0"},
		{"int64 tensor", func() []byte { tt := Int64Tensor("s", []int64{0, -1}); return tt.marshal() }(), "1:0=2 2:0=7 8:2=s 9:2=0000000000000000ffffffffffffffff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			for i, f := range decode(t, tc.msg) {
				if i > 0 {
					got += " "
				}
				switch {
				case f.typ == protowire.BytesType && f.num == 9:
					got += fmt.Sprintf("%d:%d=%s", f.num, f.typ, hex.EncodeToString(f.bytes))
				case f.typ == protowire.BytesType:
					got += fmt.Sprintf("%d:%d=%s", f.num, f.typ, f.bytes)
				case f.typ == protowire.Fixed32Type:
					got += fmt.Sprintf("%d:%d=%#08x", f.num, f.typ, f.v)
				default:
					got += fmt.Sprintf("%d:%d=%d", f.num, f.typ, f.v)
				}
			}
			if got != tc.want {
				t.Errorf("fields\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// A model nests its graph, opset and metadata; a value's shape holds
// named and fixed dimensions.
func TestModelMarshal(t *testing.T) {
	m := Model{IRVersion: 8, Opset: 13, ProducerName: "semigan", Metadata: []KeyValue{{"k", "v"}},
		Graph: Graph{Name: "g", Inputs: []ValueInfo{{Name: "x", ElemType: Float, Shape: []Dim{{Param: "N"}, {Value: 3}}}}}}
	fields := decode(t, m.Marshal())
	seen := map[protowire.Number]field{}
	for _, f := range fields {
		seen[f.num] = f
	}
	if seen[1].v != 8 || string(seen[2].bytes) != "semigan" {
		t.Errorf("ir_version %d, producer %q", seen[1].v, seen[2].bytes)
	}
	opset := decode(t, seen[8].bytes)
	if len(opset) != 1 || opset[0].num != 2 || opset[0].v != 13 {
		t.Errorf("opset_import %+v", opset)
	}
	meta := decode(t, seen[14].bytes)
	if string(meta[0].bytes) != "k" || string(meta[1].bytes) != "v" {
		t.Errorf("metadata %+v", meta)
	}
	graph := decode(t, seen[7].bytes)
	var input []byte
	for _, f := range graph {
		if f.num == 11 {
			input = f.bytes
		}
	}
	vi := decode(t, input)
	typ := decode(t, vi[1].bytes)      // TypeProto
	tensor := decode(t, typ[0].bytes)  // TypeProto.Tensor
	dims := decode(t, tensor[1].bytes) // TensorShapeProto
	first, second := decode(t, dims[0].bytes), decode(t, dims[1].bytes)
	if string(vi[0].bytes) != "x" || tensor[0].v != Float || string(first[0].bytes) != "N" || first[0].num != 2 || second[0].v != 3 || second[0].num != 1 {
		t.Errorf("value info: name %q, elem %d, dims %+v %+v", vi[0].bytes, tensor[0].v, first, second)
	}
	if math.Float32frombits(0x3f000000) != 0.5 {
		t.Fatal("float bits")
	}
}

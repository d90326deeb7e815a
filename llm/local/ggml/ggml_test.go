package ggml

import "testing"

func TestLayouts(t *testing.T) {
	tests := []struct {
		typ        Type
		block, siz int
	}{
		{F32, 1, 4}, {F16, 1, 2}, {BF16, 1, 2}, {Q8_0, 32, 34}, {Q4_0, 32, 18},
		{Q4_1, 32, 20}, {Q5_0, 32, 22}, {Q5_1, 32, 24}, {Q4_K, 256, 144},
		{Q5_K, 256, 176}, {Q6_K, 256, 210}, {Q8_K, 256, 292},
	}
	for _, tt := range tests {
		if got := tt.typ.BlockSize(); got != tt.block {
			t.Errorf("%v.BlockSize() = %d, want %d", tt.typ, got, tt.block)
		}
		if got := tt.typ.TypeSize(); got != tt.siz {
			t.Errorf("%v.TypeSize() = %d, want %d", tt.typ, got, tt.siz)
		}
		p, err := ParseType(tt.typ.String())
		if err != nil || p != tt.typ {
			t.Errorf("ParseType(%q) = %v, %v", tt.typ.String(), p, err)
		}
	}
}

func TestRowSize(t *testing.T) {
	if n, err := Q4_K.RowSize(896); err == nil {
		t.Errorf("Q4_K.RowSize(896) = %d, want error (not a multiple of 256)", n)
	}
	if n, err := Q8_0.RowSize(896); err != nil || n != 28*34 {
		t.Errorf("Q8_0.RowSize(896) = %d, %v", n, err)
	}
	if _, err := Type(99).RowSize(32); err == nil {
		t.Error("unknown type: want error")
	}
	if Type(99).Known() || Type(99).String() != "type(99)" {
		t.Error("unknown type reported as known")
	}
}

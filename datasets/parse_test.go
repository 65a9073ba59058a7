package datasets

import (
	"errors"
	"testing"
)

func TestParseScale(t *testing.T) {
	for _, test := range []struct {
		in   string
		want Scale
		ok   bool
	}{
		{"255", Scale255, true}, {"01", Scale01, true}, {"0-1", Scale01, true}, {" None ", ScaleNone, true},
		{"Scale01", Scale01, true}, {"SCALENONE", ScaleNone, true},
		{"", 0, false}, {"1", 0, false}, {"100", 0, false}, {"none please", 0, false},
	} {
		got, err := ParseScale(test.in)
		if test.ok && (err != nil || got != test.want) {
			t.Errorf("ParseScale(%q) = %v, %v; want %v", test.in, got, err, test.want)
		}
		if !test.ok && !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseScale(%q): error %v, want ErrInvalidArgument", test.in, err)
		}
	}
	for _, sc := range []Scale{Scale255, Scale01, ScaleNone} {
		if got, err := ParseScale(sc.String()); err != nil || got != sc {
			t.Errorf("ParseScale(%q) = %v, %v", sc.String(), got, err)
		}
	}
}

func TestParseShape(t *testing.T) {
	for _, test := range []struct {
		in      string
		c, h, w int // 0: an error
	}{
		{"1x28x28", 1, 28, 28}, {"3×32×32", 3, 32, 32}, {"28x28", 1, 28, 28}, {"1X1X10", 1, 1, 10}, {" 1 x 2 x 3 ", 1, 2, 3},
		{"abc", 0, 0, 0}, {"28", 0, 0, 0}, {"0x28x28", 0, 0, 0}, {"-1x28x28", 0, 0, 0}, {"1x2x3x4", 0, 0, 0},
		{"1xx28", 0, 0, 0}, {"x1x2", 0, 0, 0}, {"1x2x", 0, 0, 0}, {"", 0, 0, 0},
	} {
		c, h, w, err := ParseShape(test.in)
		switch {
		case test.c == 0 && !errors.Is(err, ErrInvalidArgument):
			t.Errorf("ParseShape(%q) = %d, %d, %d, %v; want an error", test.in, c, h, w, err)
		case test.c != 0 && (err != nil || c != test.c || h != test.h || w != test.w):
			t.Errorf("ParseShape(%q) = %d, %d, %d, %v; want %d, %d, %d", test.in, c, h, w, err, test.c, test.h, test.w)
		}
	}
}

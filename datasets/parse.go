package datasets

import (
	"strconv"
	"strings"
)

// ParseScale parses the name of a Scale as a command line gives it: "255"
// (Scale255), "01" or "0-1" (Scale01), "none" (ScaleNone), or the name
// String returns ("Scale255", …), in any case. Other strings give an
// error wrapping ErrInvalidArgument.
func ParseScale(v string) (Scale, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "255", "scale255":
		return Scale255, nil
	case "01", "0-1", "scale01":
		return Scale01, nil
	case "none", "scalenone":
		return ScaleNone, nil
	}
	return 0, argError("scale %q: want 255 (values 0..255), 01 (values in 0..1) or none (values as they are)", v)
}

// ParseShape parses an example shape "CxHxW", or "HxW" for one channel,
// of positive integers, as a command line gives it: "1x28x28", "3×32×32"
// (with the multiplication sign), "28x28". Other strings give an error
// wrapping ErrInvalidArgument.
func ParseShape(v string) (c, h, w int, err error) {
	parts := strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == 'x' || r == '×' })
	seps := strings.Count(strings.ToLower(v), "x") + strings.Count(v, "×")
	if len(parts) < 2 || len(parts) > 3 || seps != len(parts)-1 {
		return 0, 0, 0, argError("shape %q: want CxHxW with positive integers, such as 1x28x28", v)
	}
	var n []int
	for _, p := range parts {
		k, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || k <= 0 {
			return 0, 0, 0, argError("shape %q: want CxHxW with positive integers, such as 1x28x28", v)
		}
		n = append(n, k)
	}
	if len(n) == 2 {
		n = append([]int{1}, n...)
	}
	return n[0], n[1], n[2], nil
}

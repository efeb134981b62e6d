package catalog

// EAN13CheckDigit returns the EAN-13 check digit of twelve digits, as the
// character that completes them, and false when first12 is not twelve ASCII
// digits. Digits in odd positions (from the left, counting from 1) weigh 1,
// the others 3; the check digit brings the sum to a multiple of 10.
func EAN13CheckDigit(first12 string) (byte, bool) {
	if len(first12) != 12 {
		return 0, false
	}
	sum := 0
	for i := range 12 {
		d := int(first12[i]) - '0'
		if d < 0 || d > 9 {
			return 0, false
		}
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10), true
}

// ValidEAN13 reports whether s is thirteen digits whose last one is the
// EAN-13 check digit of the first twelve.
func ValidEAN13(s string) bool {
	if len(s) != 13 {
		return false
	}
	d, ok := EAN13CheckDigit(s[:12])
	return ok && s[12] == d
}

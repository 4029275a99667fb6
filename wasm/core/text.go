package core

// Small string helpers in place of strconv.Quote and Atoi and of
// strings.ToLower, Replace, FieldsFunc and IndexAny: those pull
// Unicode tables (strconv.IsPrint's, unicode's case ranges) and generic
// code into the module, about 12 kB brotli, for inputs that are ASCII here.

// Quote returns s as a double-quoted JSON string, for warning messages.
// For printable text it reads as strconv.Quote's output does.
func Quote(s string) string { return string(appendString(nil, s)) }

// Atoi parses a decimal integer with an optional sign, as strconv.Atoi
// does for values of up to 18 digits; false for anything else.
func Atoi(s string) (int, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// lowerASCII lowers the ASCII letters of s (language tags are ASCII).
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// fields splits s at spaces, commas, tabs and newlines.
func fields(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		sep := i == len(s) || s[i] == ' ' || s[i] == ',' || s[i] == '\t' || s[i] == '\n'
		switch {
		case sep && start >= 0:
			out = append(out, s[start:i])
			start = -1
		case !sep && start < 0:
			start = i
		}
	}
	return out
}

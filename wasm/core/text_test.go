package core

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTextHelpersMatchStdlib(t *testing.T) {
	for _, s := range []string{"0", "7", "-3", "+12", "007", "123456789012345678", "1234567890123456789", "", "-", "+", "1e3", " 5", "5 ", "x", "３"} {
		n, ok := Atoi(s)
		want, err := strconv.Atoi(s)
		if len(strings.TrimLeft(s, "+-")) > 18 {
			require.False(t, ok, s) // longer numbers are refused, not parsed
			continue
		}
		require.Equal(t, err == nil, ok, s)
		require.Equal(t, want, n, s)
	}
	for _, s := range []string{"colour", "bottom-left", `a "b" \ c`, "Ótimo 😍", "aaaa…"} {
		require.Equal(t, strconv.Quote(s), Quote(s))
	}
	require.Equal(t, `"\u0001"`, Quote("\x01"), "control characters stay escaped")
	for _, s := range []string{"stars comment", " ,stars,,nps\tces\n", "", ",,,", "x"} {
		want := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
		if len(want) == 0 {
			require.Empty(t, fields(s), "%q", s)
			continue
		}
		require.Equal(t, want, fields(s), "%q", s)
	}
	require.Equal(t, "pt-br", lowerASCII("PT-BR"))
}

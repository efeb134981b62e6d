package logging

import (
	"log/slog"
	"strconv"
	"unicode/utf8"
)

// Bounds of what a caller sent that is written back: in a problem detail
// (MaxEcho) or in a log field (MaxField). A 100 KB Host header or a
// 3,000-character id is cut, not repeated.
const (
	MaxEcho  = 128
	MaxField = 1024
)

// Truncate returns s when it holds at most max bytes, else its first bytes
// up to a character boundary followed by "…(N bytes)", N being the length of
// s, so that the whole stays within max bytes plus that suffix. Invalid
// UTF-8 is kept as it is: the JSON encoders replace it.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// truncateAttr bounds the string values of a, within groups too, and of
// errors and other values logged as text.
func truncateAttr(a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); len(s) > MaxField {
			a.Value = slog.StringValue(Truncate(s, MaxField))
		}
	case slog.KindGroup:
		as := a.Value.Group()
		out := make([]slog.Attr, len(as))
		for i, g := range as {
			out[i] = truncateAttr(g)
		}
		a.Value = slog.GroupValue(out...)
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = slog.StringValue(Truncate(v.Error(), MaxField))
		case interface{ String() string }:
			a.Value = slog.StringValue(Truncate(v.String(), MaxField))
		}
	case slog.KindLogValuer:
		return truncateAttr(slog.Attr{Key: a.Key, Value: a.Value.Resolve()})
	}
	return a
}

package insights

import "errors"

// ErrBadParam is wrapped by every ParamError, for errors.Is.
var ErrBadParam = errors.New("insights: bad parameter")

// ParamError names a bad query parameter or query field.
type ParamError struct {
	Name   string // the query parameter, e.g. "bucket"
	Reason string
}

func (e *ParamError) Error() string { return "query parameter " + e.Name + ": " + e.Reason }

// Unwrap returns ErrBadParam.
func (e *ParamError) Unwrap() error { return ErrBadParam }

func ptr(v float64) *float64 { return &v }

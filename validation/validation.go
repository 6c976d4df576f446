// Package validation collects input errors that name the field they concern, so
// that configuration and API input report every problem at once, by path.
package validation

import (
	"fmt"
	"strings"
)

// Error is one invalid field: Field is a path such as "queues[2].sla.first_response".
type Error struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e Error) Error() string { return e.Field + ": " + e.Reason }

// Errors is a list of field errors; a nil or empty list means valid.
type Errors []Error

// Add appends an error for field with a formatted reason.
func (es *Errors) Add(field, format string, args ...any) {
	*es = append(*es, Error{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns es as an error, or nil when there are none.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

package jobspec

import "strings"

// Problem is one broken rule: the field it concerns (a JSON path such as
// "shots[2].prompt", or "body" for the message as a whole) and the rule.
type Problem struct {
	Field string
	Rule  string
}

// String renders the problem as "field: rule".
func (p Problem) String() string { return p.Field + ": " + p.Rule }

// InvalidJobError reports a record body that cannot become a video job. It
// lists every problem found, in field order, so one redelivery cycle is
// enough to fix them all. No Bedrock call is made for such a record.
type InvalidJobError struct {
	Problems []Problem
}

// Error lists the problems, each naming its field and rule.
func (e *InvalidJobError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid job: " + strings.Join(parts, "; ")
}

// ErrorType is the name the durable runtime and result.json record for
// invalid jobs.
func (e *InvalidJobError) ErrorType() string { return "InvalidJob" }

// problems accumulates Problems while a body is checked.
type problems []Problem

func (ps *problems) add(field, rule string) { *ps = append(*ps, Problem{Field: field, Rule: rule}) }

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &InvalidJobError{Problems: ps}
}

//go:build goexperiment.jsonv2

package wire

import (
	"bytes"
	"encoding/json/jsontext"
	json "encoding/json/v2"
	"time"
)

// A replay decodes every recorded operation before the handler runs, up to
// a thousand per payload page, so Operation and StepDetails decode
// themselves from the token stream instead of through reflection: member
// names are compared without allocating, the service's enum values are
// shared constants, and timestamps in epoch milliseconds are parsed in
// place. json.Unmarshal uses these methods: encoding/json runs on
// encoding/json/v2 under GOEXPERIMENT=jsonv2, which the Go release go.mod
// names (1.27) turns on by default. Built without it, the package decodes
// by reflection alone.
//
// A member the fast path does not recognise (an unknown or differently
// cased name, escaped or non-ASCII text, a value of another kind) goes
// through reflection with the caller's options, on its own, so the result
// and any error are what plain encoding/json gives.

// operationFields and stepDetailsFields are Operation and StepDetails
// without their decoding methods, for the reflective path.
type (
	operationFields   Operation
	stepDetailsFields StepDetails
)

// Members of Operation and StepDetails the fast path knows.
const (
	unknownMember = iota
	memberID
	memberParentID
	memberName
	memberType
	memberSubType
	memberStatus
	memberStartTimestamp
	memberEndTimestamp
	memberStepDetails
	memberResult
	memberNextAttemptTimestamp
)

// memberNames are the quoted names, by member.
var memberNames = [...]string{
	memberID: `"Id"`, memberParentID: `"ParentId"`, memberName: `"Name"`, memberType: `"Type"`,
	memberSubType: `"SubType"`, memberStatus: `"Status"`, memberStartTimestamp: `"StartTimestamp"`,
	memberEndTimestamp: `"EndTimestamp"`, memberStepDetails: `"StepDetails"`, memberResult: `"Result"`,
	memberNextAttemptTimestamp: `"NextAttemptTimestamp"`,
}

// UnmarshalJSONFrom decodes an operation.
func (op *Operation) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return decodeObject(dec, (*operationFields)(op), func(name []byte) int {
		switch string(name) {
		case `"Id"`:
			return memberID
		case `"ParentId"`:
			return memberParentID
		case `"Name"`:
			return memberName
		case `"Type"`:
			return memberType
		case `"SubType"`:
			return memberSubType
		case `"Status"`:
			return memberStatus
		case `"StartTimestamp"`:
			return memberStartTimestamp
		case `"EndTimestamp"`:
			return memberEndTimestamp
		case `"StepDetails"`:
			return memberStepDetails
		}
		return unknownMember
	}, func(m int) (bool, error) {
		if m != memberStepDetails || dec.PeekKind() != '{' {
			return false, nil
		}
		if op.StepDetails == nil {
			op.StepDetails = new(StepDetails)
		}
		return true, op.StepDetails.UnmarshalJSONFrom(dec)
	}, func(m int, v jsontext.Value) bool {
		switch m {
		case memberID:
			return plainText(v, &op.Id)
		case memberParentID:
			return plainText(v, &op.ParentId)
		case memberName:
			return plainText(v, &op.Name)
		case memberType:
			return enumText(v, (*string)(&op.Type))
		case memberSubType:
			return enumText(v, &op.SubType)
		case memberStatus:
			return enumText(v, (*string)(&op.Status))
		case memberStartTimestamp:
			return op.StartTimestamp.fromMillis(v)
		case memberEndTimestamp:
			return op.EndTimestamp.fromMillis(v)
		}
		return false
	})
}

// UnmarshalJSONFrom decodes step details.
func (d *StepDetails) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return decodeObject(dec, (*stepDetailsFields)(d), func(name []byte) int {
		switch string(name) {
		case `"Result"`:
			return memberResult
		case `"NextAttemptTimestamp"`:
			return memberNextAttemptTimestamp
		}
		return unknownMember
	}, nil, func(m int, v jsontext.Value) bool {
		switch m {
		case memberResult:
			return plainText(v, &d.Result)
		case memberNextAttemptTimestamp:
			return d.NextAttemptTimestamp.fromMillis(v)
		}
		return false
	})
}

// decodeObject reads one JSON object from dec. member identifies each
// member by its quoted name; nested may then decode the value straight
// from dec (a nested object with a fast path of its own); otherwise the
// value is read and scalar may store it. A member neither takes is
// unmarshalled by reflection into fields, the method-less twin of the
// target, with dec's options; so is a value that is not an object.
func decodeObject(dec *jsontext.Decoder, fields any, member func(name []byte) int,
	nested func(m int) (bool, error), scalar func(m int, v jsontext.Value) bool) error {
	if dec.PeekKind() != '{' {
		return json.UnmarshalDecode(dec, fields)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		m := member(raw)
		var unknownName []byte
		if m == unknownMember {
			unknownName = bytes.Clone(raw) // raw is only valid until the next read
		}
		if nested != nil {
			done, err := nested(m)
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if m != unknownMember && scalar(m, v) {
			continue
		}
		obj := append(make([]byte, 0, len(v)+64), '{')
		if m == unknownMember {
			obj = append(obj, unknownName...)
		} else {
			obj = append(obj, memberNames[m]...)
		}
		obj = append(append(append(obj, ':'), v...), '}')
		if err := json.Unmarshal(obj, fields, dec.Options()); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// plainText stores a string value made of printable ASCII without escapes
// and reports whether it could.
func plainText(v jsontext.Value, s *string) bool {
	if !isPlainString(v) {
		return false
	}
	*s = string(v[1 : len(v)-1])
	return true
}

// enumText is plainText for members whose values come from a small set:
// the known values share one string.
func enumText(v jsontext.Value, s *string) bool {
	if !isPlainString(v) {
		return false
	}
	raw := v[1 : len(v)-1]
	for _, known := range enumValues {
		if string(raw) == known {
			*s = known
			return true
		}
	}
	*s = string(raw)
	return true
}

var enumValues = [...]string{
	string(TypeStep), string(TypeContext), string(TypeWait), string(TypeExecution), string(TypeCallback), string(TypeChainedInvoke),
	string(StatusSucceeded), string(StatusStarted), string(StatusPending), string(StatusReady), string(StatusFailed),
	string(StatusCancelled), string(StatusTimedOut), string(StatusStopped),
	SubTypeStep, SubTypeWait, SubTypeWaitForCondition, SubTypeRunInChildContext, SubTypeMap, SubTypeMapIteration,
	SubTypeParallel, SubTypeParallelBranch, SubTypeWaitForCallback, SubTypeCallback, SubTypeChainedInvoke,
}

func isPlainString(v jsontext.Value) bool {
	if len(v) < 2 || v[0] != '"' {
		return false
	}
	for _, c := range v[1 : len(v)-1] {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

// fromMillis sets t from an integer of epoch milliseconds and reports
// whether v was one.
func (t *Timestamp) fromMillis(v jsontext.Value) bool {
	if len(v) == 0 || len(v) > 18 {
		return false
	}
	var ms int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
		ms = ms*10 + int64(c-'0')
	}
	t.Time = time.UnixMilli(ms).UTC()
	return true
}
